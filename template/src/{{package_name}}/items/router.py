"""`/items`: create, read and list items."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status

from ..web.errors import BODY_ERRORS, ErrorMessage
from ..web.idempotency import KEY_ANSWERS, idempotency_key_header
from .dependencies import ItemEventsDep, ItemEventsUnavailable, StoreDep
from .schemas import Item, ItemIn, ItemPage

router = APIRouter(prefix="/items", tags=["items"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorMessage, "description": "No item has this id."}
}
_NOT_RECORDED: dict[int | str, dict[str, Any]] = {
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorMessage,
        "description": "The item's event could not be recorded; nothing was created. Retry later.",
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**BODY_ERRORS, **KEY_ANSWERS, **_NOT_RECORDED},
    dependencies=[Depends(idempotency_key_header)],
)
async def create_item(item_in: ItemIn, store: StoreDep, events: ItemEventsDep) -> Item:
    """Create an item; 201 only once its `item_created` event is recorded.

    With an `Idempotency-Key`, a retry gets the first item instead of a second one."""
    item = Item.new(item_in)
    try:
        await events.item_created(item)
    except ItemEventsUnavailable as error:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Item events unavailable; try again",
            headers={"Retry-After": "1"},
        ) from error
    return store.save(item)


@router.get("")
async def list_items(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemPage:
    """A page of items, oldest first."""
    items, total = store.page(limit=limit, offset=offset)
    next_offset = offset + limit if offset + limit < total else None
    return ItemPage(items=items, total=total, limit=limit, offset=offset, next_offset=next_offset)


@router.get("/{item_id}", responses=_NOT_FOUND)
async def get_item(item_id: UUID, store: StoreDep) -> Item:
    item = store.get(item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item
