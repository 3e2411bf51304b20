"""Make and take dead letters in a generated service; run with the service's Python.

    python dead_letter_driver.py STEP --package PKG --url BROKER_URL --prefix PREFIX

Runs the service in process (its app, lifespan and broker connection) and prints one
JSON object; the mio test between the steps runs the service's `dead-letters` command.
STEP is one of:

- poison: publish an event whose handler always fails, wait until it is dead-lettered;
- handle: start the service again (with its example handler working) and report how
  often the event's side effect ran;
- poison-consumed, handle-consumed: the same for an event the service consumes from
  another service (`--event`), published as its producer does; they also report how many
  messages the producer's channel holds (a witness of what its other consumers get);
- remove: delete what the service made on the broker (its `remove_channels`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from messaging_driver import counted, serving, wait_for
from prometheus_client import REGISTRY


def make_app(args: argparse.Namespace) -> Any:
    settings = importlib.import_module(f"{args.package}.settings").Settings(**settings_of(args))
    return importlib.import_module(f"{args.package}.app").create_app(settings)


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "_env_file": None,
        "broker_url": args.url,
        "channel_prefix": args.prefix,
        "log_level": "WARNING",
        **({"inbox_redis_url": args.inbox_redis_url} if args.inbox_redis_url else {}),
    }


@asynccontextmanager
async def running(args: argparse.Namespace) -> AsyncIterator[Any]:
    """The service in process (its app and lifespan), once its broker connection is made."""
    async with serving(make_app(args)) as (messaging, _):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"
        yield messaging


async def broken(event: Any) -> None:
    raise RuntimeError("poison")


async def settled(applied: Callable[[], int]) -> int:
    """How often the event's side effect ran, once it did and a second has passed."""
    await wait_for(lambda: applied() >= 1, 30)
    await asyncio.sleep(1.0)  # nothing more may arrive
    return applied()


async def dead_lettered(count: Callable[[], int]) -> bool:
    dead = await wait_for(lambda: count() >= 1, 30)
    await asyncio.sleep(0.5)  # RabbitMQ routes the rejected message in its own time
    return dead


async def poison(args: argparse.Namespace) -> dict[str, Any]:
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with running(args) as messaging:
        messaging.handler.effect = broken
        event = events.ItemCreated(item_id=uuid4(), name="poison")
        await messaging.publish(event)
        dead = await dead_lettered(lambda: counted(messaging, "dead_lettered"))
        return {"event_id": str(event.event_id), "dead_lettered": dead}


async def handle(args: argparse.Namespace) -> dict[str, Any]:
    async with running(args) as messaging:
        entries = messaging.item_log.entries
        side_effects = await settled(lambda: sum(str(e.event_id) == args.event_id for e in entries))
        return {
            "side_effects": side_effects,
            "duplicates": counted(messaging, "duplicate"),
            "dead_lettered": counted(messaging, "dead_lettered"),
        }


def broker_kind(args: argparse.Namespace) -> str:
    """The broker the URL names: redis, nats or rabbitmq."""
    return {"redis": "redis", "nats": "nats", "amqp": "rabbitmq"}[args.url.split(":", 1)[0]]


def consumed_counted(messaging: Any, event: str, events: str) -> int:
    labels = {"handler": messaging.subscriptions[event].channel}
    return int(REGISTRY.get_sample_value(f"messaging_{events}_events_total", labels) or 0)


def _witness_queue(subscription: Any) -> Any:
    """RabbitMQ: a queue of another consumer on the producer's exchange."""
    from faststream.rabbit import RabbitQueue

    name = f"{subscription.prefix}witness.{subscription.channel}"
    return RabbitQueue(name, durable=True, routing_key=subscription.channel)


async def on_producer_channel(kind: str, messaging: Any, subscription: Any) -> int:
    """What the producer's channel holds for its consumers: every message (Redis stream,
    NATS stream) or what another consumer's queue received (RabbitMQ)."""
    broker = messaging.broker
    if kind == "redis":
        client = await broker.connect()
        return int(await client.xlen(subscription.channel))
    if kind == "nats":
        broker_module = importlib.import_module(type(messaging).__module__).broker_module
        name = broker_module._producer_stream(subscription).name
        info = await (await broker.connect()).jetstream().stream_info(name)
        return int(info.state.messages)
    queue = await broker.declare_queue(_witness_queue(subscription))
    return int(queue.declaration_result.message_count or 0)


async def publish_as_producer(
    kind: str, messaging: Any, subscription: Any, payload: dict[str, Any]
) -> None:
    """As the producing service publishes it (broker.py's `publish`), on its channel."""
    broker, headers = messaging.broker, {"x-message-id": payload["event_id"]}
    if kind == "redis":
        await broker.publish(payload, stream=subscription.channel, headers=headers)
    elif kind == "nats":
        await broker.publish(payload, subscription.channel, headers=headers)
    else:
        from faststream.rabbit import ExchangeType, RabbitExchange

        exchange = RabbitExchange(
            f"{subscription.producer}.events", type=ExchangeType.TOPIC, durable=True
        )
        witness = await broker.declare_queue(_witness_queue(subscription))
        await witness.bind(await broker.declare_exchange(exchange), subscription.channel)
        await broker.publish(
            payload,
            exchange=exchange,
            routing_key=subscription.channel,
            headers=headers,
            message_id=payload["event_id"],
            persist=True,
        )


async def poison_consumed(args: argparse.Namespace) -> dict[str, Any]:
    async with running(args) as messaging:
        messaging.consumed_handlers[args.event].effect = broken
        subscription = messaging.subscriptions[args.event]
        event_id = str(uuid4())
        payload = {"event_id": event_id, "occurred_at": "2026-12-01T00:00:00+00:00",
                   "item_id": str(uuid4()), "name": "poison"}  # fmt: skip
        await publish_as_producer(broker_kind(args), messaging, subscription, payload)
        dead = await dead_lettered(lambda: consumed_counted(messaging, args.event, "dead_lettered"))
        return {"event_id": event_id, "dead_lettered": dead}


async def handle_consumed(args: argparse.Namespace) -> dict[str, Any]:
    async with running(args) as messaging:
        seen = messaging.reactions.seen
        reactions = await settled(lambda: sum(str(e.event_id) == args.event_id for e in seen))
        subscription = messaging.subscriptions[args.event]
        return {
            "reactions": reactions,
            "handled": consumed_counted(messaging, args.event, "handled"),
            "duplicates": consumed_counted(messaging, args.event, "duplicate"),
            "dead_lettered": consumed_counted(messaging, args.event, "dead_lettered"),
            "on_producer_channel": await on_producer_channel(
                broker_kind(args), messaging, subscription
            ),
        }


async def remove(args: argparse.Namespace) -> dict[str, Any]:
    runtime = importlib.import_module(f"{args.package}.messaging.runtime")
    settings_class = importlib.import_module(f"{args.package}.settings").Settings
    settings = settings_class(**settings_of(args))
    if broker_kind(args) == "rabbitmq":
        broker = runtime.broker_module.build_broker(settings)
        await broker.connect()
        try:
            for subscription in runtime.subscriptions("", args.prefix).values():
                queue = await broker.declare_queue(_witness_queue(subscription))
                await queue.delete(if_unused=False, if_empty=False)
        finally:
            await broker.stop()
    await runtime.remove_channels(settings)
    return {}


STEPS = {
    "poison": poison,
    "handle": handle,
    "poison-consumed": poison_consumed,
    "handle-consumed": handle_consumed,
    "remove": remove,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--inbox-redis-url", default="")
    parser.add_argument("--event-id", default="")
    parser.add_argument("--event", default="", help="a consumed event: shop.items.created")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(STEPS[args.step](args))))


if __name__ == "__main__":
    main()
