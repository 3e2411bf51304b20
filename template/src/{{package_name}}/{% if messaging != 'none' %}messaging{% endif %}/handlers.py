"""What the service does with the events it receives, whatever the broker.

Each message is handled once in effect: duplicates (same message id) are counted and
skipped; a failing handler is retried a bounded number of times, then the message goes
to the dead-letter destination and is acknowledged.

Where the broker delivers batches (Redis, NATS, Kafka), `handle_batch` takes each event
of a batch through the same steps; the batch is acknowledged once all are done.

While an event is handled, the request id it was published with is the current one
(asgi-correlation-id's), so log lines carry it. With tracing on, FastStream's span of
a batch can only link to the traces of its events: each event of a batch is handled in
a span of its own that continues the trace of the request that published it.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

import structlog
from asgi_correlation_id import correlation_id
from faststream.exceptions import NackMessage
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError

from . import metrics
from .events import DEAD_LETTER_ATTEMPTS_HEADER, REQUEST_ID_HEADER, ItemCreated
from .inbox import Claim, Inbox

logger = structlog.stdlib.get_logger(__name__)
EXAMPLE_ENTRIES_KEPT = 10_000  # about 8 MiB: the example keeps the last ones, not all


class HasEventId(Protocol):
    """What handling needs of an event: its id, which is the message id."""

    @property
    def event_id(self) -> UUID: ...


E = TypeVar("E", bound=HasEventId)
Effect = Callable[[E], Awaitable[None]]
DeadLetter = Callable[[E, Mapping[str, Any]], Awaitable[None]]


M = TypeVar("M", bound=BaseModel)


def accepted(
    model: type[M],
    channel: str,
    payloads: Sequence[Mapping[str, Any]],
    headers: Sequence[Mapping[str, Any]],
) -> tuple[list[M], list[Mapping[str, Any]]]:
    """The events of another service's messages that fit `model`, with their headers.

    A message that does not fit can never be handled: it is logged and acknowledged
    with its batch instead of being delivered again forever.
    """
    events: list[M] = []
    kept: list[Mapping[str, Any]] = []
    for payload, payload_headers in zip(payloads, headers, strict=True):
        try:
            events.append(model.model_validate(payload))
        except ValidationError as error:
            logger.error(
                "event does not fit its model; skipped",
                channel=channel,
                errors=error.errors(include_url=False, include_input=False),
            )
        else:
            kept.append(payload_headers)
    return events, kept


class RejectedToDeadLetter(Exception):
    """Raised where the broker itself dead-letters a rejected message (RabbitMQ)."""


class ItemCreatedLog:
    """The example side effect: remember each created item once (the last
    EXAMPLE_ENTRIES_KEPT, so memory stays flat). Replace with your own."""

    def __init__(self) -> None:
        self.entries: deque[ItemCreated] = deque(maxlen=EXAMPLE_ENTRIES_KEPT)

    async def record(self, event: ItemCreated) -> None:
        self.entries.append(event)
        logger.info("item created", item_id=str(event.item_id))


class EventHandler(Generic[E]):
    """Handles the events of one channel: this service's own, or another's it consumes."""

    def __init__(
        self,
        inbox: Inbox,
        effect: Effect[E],
        dead_letter: DeadLetter[E],
        *,
        channel: str,
        max_attempts: int = 3,
        retry_delay_seconds: float = 0.05,
        claim_lease_seconds: float = 30.0,
        concurrency: int = 1,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.inbox = inbox
        self.claim_lease_seconds = claim_lease_seconds
        self.effect = effect
        self.dead_letter = dead_letter
        self.channel = channel
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        self.concurrency = concurrency
        self.tracer = tracer
        self._handled = metrics.HANDLED_EVENTS.labels(handler=channel)
        self._duplicates = metrics.DUPLICATE_EVENTS.labels(handler=channel)
        self._dead_lettered = metrics.DEAD_LETTERED_EVENTS.labels(handler=channel)

    async def handle_batch(self, events: Sequence[E], headers: Sequence[Mapping[str, Any]]) -> None:
        """Every event of a batch: in order, or `concurrency` at a time (order not kept).

        Each event is finished before this returns, even when another fails; then the
        first failure is raised, so the broker delivers the batch again (the events
        already handled are skipped as duplicates).
        """
        pairs = list(zip(events, headers, strict=True))
        if self.concurrency == 1:
            for event, event_headers in pairs:
                await self._one_of_batch(event, event_headers)
            return
        slots = asyncio.Semaphore(self.concurrency)

        async def one(event: E, event_headers: Mapping[str, Any]) -> None:
            async with slots:
                await self._one_of_batch(event, event_headers)

        results = await asyncio.gather(*(one(*pair) for pair in pairs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _one_of_batch(self, event: E, headers: Mapping[str, Any]) -> None:
        if self.tracer is None:
            await self(event, headers)
            return
        batch = trace.get_current_span().get_span_context()
        with self.tracer.start_as_current_span(
            f"{self.channel} process",
            context=propagate.extract(headers),  # the publisher's trace (W3C traceparent)
            kind=trace.SpanKind.CONSUMER,
            links=[trace.Link(batch)] if batch.is_valid else None,
            attributes={"messaging.message.id": str(event.event_id)},
        ):
            await self(event, headers)

    async def __call__(self, event: E, headers: Mapping[str, Any]) -> None:
        token = correlation_id.set(headers.get(REQUEST_ID_HEADER))
        try:
            await self._handle(event, headers)
        finally:
            correlation_id.reset(token)

    async def _handle(self, event: E, headers: Mapping[str, Any]) -> None:
        message_id = str(event.event_id)
        claim = await self.inbox.claim(message_id)
        if claim is Claim.DONE:
            self._duplicates.inc()
            logger.info("duplicate message skipped", message_id=message_id)
            return
        if claim is Claim.BUSY:
            # Another replica (or a handling cut off by a lost connection) has it: not
            # acknowledged, so the broker delivers it again, once that one is finished.
            logger.info("message in progress elsewhere; redelivered later", message_id=message_id)
            await asyncio.sleep(self.retry_delay_seconds)
            raise NackMessage()
        try:
            succeeded = await self._attempts(event, message_id)
        except BaseException:  # cut off (cancelled at shutdown): a redelivery tries again
            await self._release(message_id)
            raise
        if succeeded:
            await self._done(message_id)
            self._handled.inc()
        else:
            await self._give_up(event, headers, message_id)

    async def _done(self, message_id: str) -> None:
        """Mark the id handled. The side effect has happened, so an inbox out of reach (a
        broker restarting, a cut connection) is tried again while the claim holds: the
        broker delivers the message again only after that, and must then find it done.
        Past the claim's lease the id is not kept, and a redelivery would repeat it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.claim_lease_seconds
        pause = 0.05
        while True:
            try:
                await self.inbox.done(message_id)
                return
            except Exception:
                if loop.time() + pause >= deadline:
                    logger.warning("inbox unreachable; handled id not kept", message_id=message_id)
                    return
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def _release(self, message_id: str) -> None:
        """Let a redelivery try again; if the inbox cannot be reached, the claim lapses
        after its lease instead."""
        try:
            await self.inbox.release(message_id)
        except Exception:
            logger.warning("inbox unreachable; claim left to lapse", message_id=message_id)

    async def _attempts(self, event: E, message_id: str) -> bool:
        """Run the side effect, with bounded retries: True once it succeeded."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.effect(event)
            except Exception:
                logger.warning(
                    "handler failed", message_id=message_id, attempt=attempt, exc_info=True
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_delay_seconds * 2 ** (attempt - 1))
            else:
                return True
        return False

    async def _give_up(self, event: E, headers: Mapping[str, Any], message_id: str) -> None:
        await self._done(message_id)
        headers = {**headers, DEAD_LETTER_ATTEMPTS_HEADER: str(self.max_attempts)}
        try:
            await self.dead_letter(event, headers)
        except RejectedToDeadLetter:  # the broker dead-letters it once rejected
            # and never delivers it here again: the id is let go, so that a replay
            # (`dead-letters replay`) is handled even by an inbox in this process.
            await self._release(message_id)
            self._dead_lettered_one(message_id)
            raise
        except BaseException:
            # Not dead-lettered after all: let the broker deliver it again.
            await self._release(message_id)
            raise
        self._dead_lettered_one(message_id)

    def _dead_lettered_one(self, message_id: str) -> None:
        self._dead_lettered.inc()
        logger.error("message dead-lettered", message_id=message_id)


ItemCreatedHandler = EventHandler[ItemCreated]
