"""Where items are kept: in memory. Swap for a database without changing the router."""

from uuid import UUID

from .schemas import Item


class ItemStore:
    def __init__(self) -> None:
        self._items: dict[UUID, Item] = {}

    def save(self, item: Item) -> Item:
        self._items[item.id] = item
        return item

    def get(self, item_id: UUID) -> Item | None:
        return self._items.get(item_id)

    def page(self, *, limit: int, offset: int) -> tuple[list[Item], int]:
        """Items `offset` to `offset + limit`, oldest first, and how many there are in all."""
        items = list(self._items.values())
        return items[offset : offset + limit], len(items)
