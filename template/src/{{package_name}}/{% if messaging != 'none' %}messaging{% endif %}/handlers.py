"""What the service does with the events it receives, whatever the broker.

Each message is handled once in effect: duplicates (same message id) are counted and
skipped; a failing handler is retried a bounded number of times, then the message goes
to the dead-letter destination and is acknowledged.

Where the broker delivers batches (Redis, NATS, Kafka), `handle_batch` takes each event
of a batch through the same steps; the batch is acknowledged once all are done.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..logs import request_id_var
from .events import REQUEST_ID_HEADER, ItemCreated
from .inbox import Inbox

logger = logging.getLogger(__name__)

Effect = Callable[[ItemCreated], Awaitable[None]]
DeadLetter = Callable[[ItemCreated, Mapping[str, Any]], Awaitable[None]]


class RejectedToDeadLetter(Exception):
    """Raised where the broker itself dead-letters a rejected message (RabbitMQ)."""


class ItemCreatedLog:
    """The example side effect: remember each created item once. Replace with your own."""

    def __init__(self) -> None:
        self.entries: list[ItemCreated] = []

    async def record(self, event: ItemCreated) -> None:
        self.entries.append(event)
        logger.info("item created", extra={"item_id": str(event.item_id)})


class ItemCreatedHandler:
    def __init__(
        self,
        inbox: Inbox,
        effect: Effect,
        dead_letter: DeadLetter,
        max_attempts: int = 3,
        retry_delay_seconds: float = 0.05,
        concurrency: int = 1,
    ) -> None:
        self.inbox = inbox
        self.effect = effect
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        self.concurrency = concurrency

    async def handle_batch(
        self, events: Sequence[ItemCreated], headers: Sequence[Mapping[str, Any]]
    ) -> None:
        """Every event of a batch: in order, or `concurrency` at a time (order not kept).

        Each event is finished before this returns, even when another fails; then the
        first failure is raised, so the broker delivers the batch again (the events
        already handled are skipped as duplicates).
        """
        pairs = list(zip(events, headers, strict=True))
        if self.concurrency == 1:
            for event, event_headers in pairs:
                await self(event, event_headers)
            return
        slots = asyncio.Semaphore(self.concurrency)

        async def one(event: ItemCreated, event_headers: Mapping[str, Any]) -> None:
            async with slots:
                await self(event, event_headers)

        results = await asyncio.gather(*(one(*pair) for pair in pairs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def __call__(self, event: ItemCreated, headers: Mapping[str, Any]) -> None:
        token = request_id_var.set(headers.get(REQUEST_ID_HEADER))
        try:
            await self._handle(event, headers)
        finally:
            request_id_var.reset(token)

    async def _handle(self, event: ItemCreated, headers: Mapping[str, Any]) -> None:
        message_id = str(event.event_id)
        if not self.inbox.claim(message_id):
            logger.info("duplicate message skipped", extra={"message_id": message_id})
            return
        try:
            succeeded = await self._attempts(event, message_id)
        except BaseException:  # cut off (cancelled at shutdown): a redelivery tries again
            self.inbox.release(message_id)
            raise
        if succeeded:
            self.inbox.done(message_id)
        else:
            await self._give_up(event, headers, message_id)

    async def _attempts(self, event: ItemCreated, message_id: str) -> bool:
        """Run the side effect, with bounded retries: True once it succeeded."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.effect(event)
            except Exception:
                logger.warning(
                    "handler failed",
                    exc_info=True,
                    extra={"message_id": message_id, "attempt": attempt},
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_delay_seconds * 2 ** (attempt - 1))
            else:
                return True
        return False

    async def _give_up(
        self, event: ItemCreated, headers: Mapping[str, Any], message_id: str
    ) -> None:
        logger.error("message dead-lettered", extra={"message_id": message_id})
        self.inbox.dead_lettered += 1
        self.inbox.done(message_id, handled=False)
        try:
            await self.dead_letter(event, headers)
        except RejectedToDeadLetter:
            raise
        except BaseException:
            # Not dead-lettered after all: let the broker deliver it again.
            self.inbox.dead_lettered -= 1
            self.inbox.release(message_id)
            raise
