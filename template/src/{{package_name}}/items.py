"""An example resource: replace it with your own, keeping the shape."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class Item(ItemIn):
    id: UUID
    created_at: datetime


class ItemStore:
    """In-memory storage; swap for a database without changing the router."""

    def __init__(self) -> None:
        self._items: dict[UUID, Item] = {}

    def add(self, item_in: ItemIn) -> Item:
        item = Item(id=uuid4(), created_at=datetime.now(UTC), **item_in.model_dump())
        self._items[item.id] = item
        return item

    def get(self, item_id: UUID) -> Item | None:
        return self._items.get(item_id)

    def all(self) -> list[Item]:
        return list(self._items.values())


router = APIRouter(prefix="/items", tags=["items"])


def _store(request: Request) -> ItemStore:
    store: ItemStore = request.app.state.items
    return store


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(item_in: ItemIn, request: Request) -> Item:
    return _store(request).add(item_in)


@router.get("")
async def list_items(request: Request) -> list[Item]:
    return _store(request).all()


@router.get("/{item_id}")
async def get_item(item_id: UUID, request: Request) -> Item:
    item = _store(request).get(item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item
