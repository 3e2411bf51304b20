"""Idempotent handling: which message ids are being handled, or were handled already.

A message id is claimed before its side effect runs, marked done after it, and released
when handling fails, so the broker's redelivery is tried again rather than dropped as a
duplicate. A claim that is never finished (the process died) lapses after its lease,
so a redelivery then takes it over.

Where the ids are kept depends on the broker (its broker.py builds the inbox): in the
broker's own server where it has one to spare (Redis keys, a NATS key-value bucket),
shared by every replica and kept across restarts for INBOX_RETENTION_SECONDS; in this
process otherwise (MemoryInbox, below). What became of the events (handled,
duplicates, dead-lettered) is counted in metrics.py.
"""

import enum
from collections import OrderedDict
from typing import Protocol


class Claim(enum.Enum):
    """What claiming a message id found."""

    NEW = "new"  # nobody had it: it is ours to handle now
    DONE = "done"  # handled (or dead-lettered) already: a duplicate
    BUSY = "busy"  # being handled elsewhere: leave it for the broker to deliver again


class Inbox(Protocol):
    """Where handled message ids are kept."""

    async def claim(self, message_id: str) -> Claim:
        """Take the message id for handling, unless it is done or busy."""
        ...

    async def done(self, message_id: str) -> None:
        """Handled, or given up on (dead-lettered): later deliveries are duplicates."""
        ...

    async def release(self, message_id: str) -> None:
        """Handling failed before any side effect: let a redelivery try again."""
        ...

    async def clear(self) -> None:
        """Forget every id (tests and clean-up: `runtime.remove_channels`)."""
        ...

    async def close(self) -> None:
        """Let go of the store's connection, if the inbox has one of its own."""
        ...


class MemoryInbox:
    """The last `capacity` message ids, in this process, oldest forgotten first.

    Hand-written: an insertion-ordered dict is the whole store, and a dependency would
    only add a lookup. It is neither shared by replicas nor kept across restarts; size
    `capacity` (INBOX_CAPACITY) to the memory limit, at about 250 bytes an id once full
    (the ids, and a dict table that grows once more as removals fill it).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, bool] = OrderedDict()  # id -> finished (False: busy)

    def __len__(self) -> int:
        return len(self._ids)

    async def claim(self, message_id: str) -> Claim:
        finished = self._ids.get(message_id)
        if finished is not None:
            return Claim.DONE if finished else Claim.BUSY
        self._ids[message_id] = False
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return Claim.NEW

    async def done(self, message_id: str) -> None:
        self._ids[message_id] = True
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    async def release(self, message_id: str) -> None:
        self._ids.pop(message_id, None)

    async def clear(self) -> None:
        self._ids.clear()

    async def close(self) -> None:
        """Nothing to close."""
