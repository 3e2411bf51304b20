"""The items domain's event sink on the broker: `POST /items` reports each new item here."""

from ..items.dependencies import ItemEventsUnavailable
from ..items.schemas import Item
from .events import ItemCreated
from .runtime import Messaging


class ItemEventsPublisher:
    """Publishes `items.created`; the items domain sees it as its `ItemEvents`."""

    def __init__(self, messaging: Messaging) -> None:
        self.messaging = messaging

    async def item_created(self, item: Item) -> None:
        """Return once the broker has the event; ItemEventsUnavailable if it did not take it."""
        try:
            await self.messaging.publish(ItemCreated(item_id=item.id, name=item.name))
        except Exception as error:
            raise ItemEventsUnavailable(str(error) or type(error).__name__) from error
