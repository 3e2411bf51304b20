"""What the items API takes and gives."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import BaseModel, Field


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class Item(ItemIn):
    id: UUID
    created_at: datetime

    @classmethod
    def new(cls, item_in: ItemIn) -> "Item":
        return cls(id=uuid4(), created_at=datetime.now(UTC), **item_in.model_dump())


class ItemPage(BaseModel):
    """One page of items, oldest first; `next_offset` is None on the last page."""

    items: list[Item]
    total: int
    limit: int
    offset: int
    next_offset: int | None
