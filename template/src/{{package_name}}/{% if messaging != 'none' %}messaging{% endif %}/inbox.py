"""Idempotent handling: remember which message ids were handled, count duplicates.

The memory is per process and bounded. Several replicas, or a restart, need a shared
store (a table with a unique key, a Redis set) in place of this class.
"""

from collections import OrderedDict


class Inbox:
    """Message ids in progress or handled, oldest forgotten first."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, bool] = OrderedDict()  # id -> handled (False: in progress)
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0

    def claim(self, message_id: str) -> bool:
        """True if this message is new and now ours; False (and counted) if it is a duplicate."""
        if message_id in self._ids:
            self.duplicates += 1
            return False
        self._ids[message_id] = False
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def release(self, message_id: str) -> None:
        """Handling failed before any side effect: let a redelivery try again."""
        self._ids.pop(message_id, None)

    def done(self, message_id: str, *, handled: bool = True) -> None:
        """Finished with this message: handled, or given up on (dead-lettered)."""
        self._ids[message_id] = True
        self.handled += handled
