"""What the items router needs, as FastAPI dependencies (override them in tests).

The objects themselves are made in the app's lifespan (see app.py). The dependencies are
`async def` although they do not await: FastAPI runs a plain `def` dependency in its
thread pool, a thread hop on every request.
"""

from typing import Annotated, Protocol

from fastapi import Depends, Request

from .schemas import Item
from .store import ItemStore


class ItemEventsUnavailable(Exception):
    """The item's event could not be recorded: nothing was created."""


class ItemEvents(Protocol):
    """Tells the rest of the system about items (a broker, with messaging)."""

    async def item_created(self, item: Item) -> None: ...


class NoItemEvents:
    """Tells no one: the service has no messaging."""

    async def item_created(self, item: Item) -> None:
        return None


async def get_store(request: Request) -> ItemStore:
    store: ItemStore = request.state.store
    return store


async def get_item_events(request: Request) -> ItemEvents:
    events: ItemEvents = request.state.item_events
    return events


StoreDep = Annotated[ItemStore, Depends(get_store)]
ItemEventsDep = Annotated[ItemEvents, Depends(get_item_events)]
