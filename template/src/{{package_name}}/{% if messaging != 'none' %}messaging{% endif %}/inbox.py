"""Idempotent handling: remember which message ids were handled.

The memory is per process and bounded. Several replicas, or a restart, need a shared
store (a table with a unique key, a Redis set) in place of this class. What became of
the events (handled, duplicates, dead-lettered) is counted in metrics.py.
"""

from collections import OrderedDict


class Inbox:
    """Message ids in progress or handled, oldest forgotten first."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, bool] = OrderedDict()  # id -> finished (False: in progress)

    def claim(self, message_id: str) -> bool:
        """True if this message is new and now ours; False if it is a duplicate."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = False
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def release(self, message_id: str) -> None:
        """Handling failed before any side effect: let a redelivery try again."""
        self._ids.pop(message_id, None)

    def done(self, message_id: str) -> None:
        """Finished with this message: handled, or given up on (dead-lettered)."""
        self._ids[message_id] = True
