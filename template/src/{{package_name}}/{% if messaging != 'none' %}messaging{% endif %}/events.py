"""The events this service publishes and consumes, and the channels they travel on."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

REQUEST_ID_HEADER = "x-request-id"
MESSAGE_ID_HEADER = "x-message-id"
DEAD_LETTER_ATTEMPTS_HEADER = "x-dead-letter-attempts"  # how often the handler failed
_REPLAYED_HEADERS = (REQUEST_ID_HEADER, MESSAGE_ID_HEADER, "traceparent", "tracestate")


class Event(BaseModel):
    """Fields every event carries. `event_id` is the message id: a re-sent event keeps it."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ItemCreated(Event):
    """An item was created (published by `POST /items`)."""

    item_id: UUID
    name: str


@dataclass(frozen=True)
class Channels:
    """Names on the broker. Each carries the owning service's name (`orders.items.created`,
    group `orders`), so any number of services share one broker without cross-talk or
    clash; the prefix keeps deployments (and test runs) sharing one broker apart."""

    items_created: str
    items_created_dead_letter: str
    group: str

    @classmethod
    def named(cls, service: str, prefix: str = "") -> "Channels":
        owner = f"{prefix}{service}"
        return cls(
            items_created=f"{owner}.items.created",
            items_created_dead_letter=f"{owner}.items.created.dead-letter",
            group=owner,
        )


class ConsumedEvent(BaseModel):
    """Base of the events this service consumes from other services (consumed.py).

    Fields the producer adds later are ignored, so producers evolve without breaking
    their consumers; `mio fleet check` catches a field removed or retyped.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID


@dataclass(frozen=True)
class Subscription:
    """Another service's channel this service consumes in its own group (`group`): every
    consuming service gets every event, its replicas share them."""

    event: str  # as the producer names it: `orders.items.created`
    group: str  # this service's group, prefixed like its channels
    prefix: str = ""

    @property
    def producer(self) -> str:
        """The producer's name on the broker, prefixed: `orders`."""
        return f"{self.prefix}{self.event.split('.', 1)[0]}"

    @property
    def channel(self) -> str:
        return f"{self.prefix}{self.event}"

    @property
    def dead_letter(self) -> str:
        return f"{self.group}.{self.event}.dead-letter"

    @property
    def replay(self) -> str:
        """Where a replayed dead letter goes when the broker cannot address this service's
        group alone on the producer's channel (Redis): read in this service's group only."""
        return f"{self.group}.{self.event}.replay"


@dataclass(frozen=True)
class DeadLetter:
    """A message the service gave up on, as its broker keeps it (`dead-letters` command)."""

    id: str  # the message id: the event's id
    channel: str  # where it was published, and where a replay publishes it again
    payload: dict[str, Any]
    headers: dict[str, str]
    at: str = ""  # when it was dead-lettered (ISO 8601), where the broker records it
    reason: str = ""  # what is known of why: attempts, the broker's reason
    locator: str = field(default="", repr=False)  # the broker's handle: entry id, sequence

    def replay_headers(self) -> dict[str, str]:
        """The headers a replay carries again: the ids and the trace context, not the
        broker's own bookkeeping."""
        return {name: self.headers[name] for name in _REPLAYED_HEADERS if name in self.headers}
