"""The events this service publishes and consumes, and the channels they travel on."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

REQUEST_ID_HEADER = "x-request-id"
MESSAGE_ID_HEADER = "x-message-id"


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
