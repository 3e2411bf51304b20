"""One publish-to-consume run, in the Python of a generated service (see bench_messaging.py).

    python messaging_worker.py {service,faststream,raw} {redis,nats,rabbitmq} URL COUNT CONCURRENCY

COUNT is at most 10,000: the service's example side effect keeps the last 10,000 events.

Publishes COUNT messages, CONCURRENCY at a time, and waits until every one has been
consumed and acknowledged; prints the messages per second. `service` goes through the
generated service's publisher and subscriber; `raw` does the same work with the broker's
own client, as the service does it, deduplication included: each event validated
(pydantic), its id claimed in the inbox and marked done, then acknowledged. `faststream`
does the raw client's work through a bare FastStream broker (the service's subscriber
options; no middlewares, no logger), which tells FastStream's own cost apart from the
service's layers on it (metrics, tracing, the handler's bookkeeping).

- redis-py: XADD; XREADGROUP batches of up to 100; per event `SET id busy NX PX` and
  `SET id done PX`; one XACK per batch;
- nats-py: JetStream publish with `Nats-Msg-Id`; pull fetch of up to 100; per event a
  key-value `create` and `put`; an ack per message;
- aio-pika: persistent publish with publisher confirms to a durable queue; prefetch 1;
  per event an in-process inbox (an ordered dict, as the service's without
  INBOX_REDIS_URL); an ack per message.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel


class Event(BaseModel):
    event_id: UUID
    occurred_at: datetime
    item_id: UUID
    name: str


def new_event(index: int) -> Event:
    return Event(event_id=uuid4(), occurred_at=datetime.now(UTC), item_id=uuid4(), name=f"i{index}")


async def gather_limited(calls: list[Callable[[], Awaitable[object]]], limit: int) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with semaphore:
            await call()

    await asyncio.gather(*(one(call) for call in calls))


def leave_out_broker_metrics() -> None:
    """The service without FastStream's Prometheus middleware (BENCH_LEAVE_OUT=broker-metrics),
    to price it; the bench only."""
    runtime = importlib.import_module("orders.messaging.runtime")
    all_middlewares = runtime._middlewares
    runtime._middlewares = lambda provider: tuple(
        m
        for m in all_middlewares(provider)
        if not isinstance(m, runtime.broker_module.PrometheusMiddleware)
    )


async def service(broker: str, url: str, count: int, concurrency: int) -> float:
    if "broker-metrics" in os.environ.get("BENCH_LEAVE_OUT", "").split(","):
        leave_out_broker_metrics()
    app_module = importlib.import_module("orders.app")
    settings_module = importlib.import_module("orders.settings")
    events = importlib.import_module("orders.messaging.events")
    settings = settings_module.Settings(
        _env_file=None,
        broker_url=url,
        channel_prefix=f"bench-{uuid4().hex[:8]}.",
        log_level="WARNING",
    )
    app = app_module.create_app(settings)
    async with app.router.lifespan_context(app) as state:  # the service's own wiring
        messaging = state["messaging"]
        while not messaging.connected:
            await asyncio.sleep(0.01)
        batch = [events.ItemCreated(item_id=uuid4(), name=f"i{i}") for i in range(count)]
        started = time.perf_counter()
        await gather_limited([lambda e=e: messaging.publish(e) for e in batch], concurrency)
        while len(messaging.item_log.entries) < count:  # each handled event's side effect
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
    runtime = importlib.import_module("orders.messaging.runtime")
    await runtime.remove_channels(settings)  # its streams, queues and inbox keys
    return count / elapsed


LEASE_MS, RETENTION_MS = 30_000, 3_600_000


async def delete_prefixed(client: Any, prefix: str) -> None:
    """Delete a run's inbox keys (the service's own `remove_channels` does the same)."""
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    for start in range(0, len(keys), 1000):
        await client.delete(*keys[start : start + 1000])


async def raw_redis(url: str, count: int, concurrency: int) -> float:
    import redis.asyncio as redis

    client = redis.from_url(url, max_connections=1000)
    stream, group = f"bench-raw-{uuid4().hex[:8]}", "bench"
    await client.xgroup_create(stream, group, id="$", mkstream=True)
    seen: set[str] = set()
    done = asyncio.Event()

    async def consume() -> None:
        while len(seen) < count:
            response = await client.xreadgroup(group, "c1", {stream: ">"}, count=100, block=1000)
            for _, entries in response or []:
                for _, fields in entries:
                    event_id = str(Event.model_validate_json(fields[b"data"]).event_id)
                    key = f"{stream}.inbox.{event_id}"
                    if await client.set(key, b"busy", nx=True, px=LEASE_MS):
                        seen.add(event_id)
                        await client.set(key, b"done", px=RETENTION_MS)
                await client.xack(stream, group, *(entry_id for entry_id, _ in entries))
        done.set()

    batch = [new_event(i) for i in range(count)]
    consumer = asyncio.create_task(consume())
    started = time.perf_counter()
    await gather_limited(
        [lambda e=e: client.xadd(stream, {"data": e.model_dump_json()}) for e in batch],
        concurrency,
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    await consumer
    await client.delete(stream)
    await delete_prefixed(client, f"{stream}.inbox.")
    await client.aclose()
    return count / elapsed


async def raw_nats(url: str, count: int, concurrency: int) -> float:
    import nats

    connection = await nats.connect(url)
    js = connection.jetstream()
    name = f"bench_raw_{uuid4().hex[:8]}"
    await js.add_stream(name=name, subjects=[f"{name}.items"])
    inbox = await js.create_key_value(bucket=f"{name}_inbox", ttl=RETENTION_MS / 1000)
    subscription = await js.pull_subscribe(f"{name}.items", durable=name)
    seen: set[str] = set()

    async def consume() -> None:
        while len(seen) < count:
            try:
                messages = await subscription.fetch(100, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                event_id = str(Event.model_validate_json(message.data).event_id)
                try:
                    await inbox.create(event_id, str(time.time()).encode())
                except nats.js.errors.KeyWrongLastSequenceError:
                    continue  # a duplicate
                seen.add(event_id)
                await inbox.put(event_id, b"done")
            for message in messages:
                await message.ack()

    batch = [new_event(i) for i in range(count)]
    consumer = asyncio.create_task(consume())
    started = time.perf_counter()
    await gather_limited(
        [
            lambda e=e: js.publish(
                f"{name}.items",
                e.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(e.event_id)},
            )
            for e in batch
        ],
        concurrency,
    )
    await consumer
    elapsed = time.perf_counter() - started
    await js.delete_stream(name)
    await js.delete_key_value(f"{name}_inbox")
    await connection.close()
    return count / elapsed


async def raw_rabbitmq(url: str, count: int, concurrency: int) -> float:
    from collections import OrderedDict

    import aio_pika

    connection = await aio_pika.connect_robust(url)
    publishing = await connection.channel(publisher_confirms=True)
    consuming = await connection.channel()
    await consuming.set_qos(prefetch_count=1)
    name = f"bench-raw-{uuid4().hex[:8]}"
    queue = await consuming.declare_queue(name, durable=True)
    inbox: OrderedDict[str, bool] = OrderedDict()
    done = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        event_id = str(Event.model_validate_json(message.body).event_id)
        if event_id not in inbox:
            inbox[event_id] = False
            inbox[event_id] = True  # handled
            if len(inbox) > 100_000:
                inbox.popitem(last=False)
        await message.ack()
        if len(inbox) >= count:
            done.set()

    await queue.consume(on_message)
    batch = [new_event(i) for i in range(count)]
    started = time.perf_counter()
    await gather_limited(
        [
            lambda e=e: publishing.default_exchange.publish(
                aio_pika.Message(
                    e.model_dump_json().encode(),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=str(e.event_id),
                ),
                routing_key=name,
            )
            for e in batch
        ],
        concurrency,
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    return count / elapsed


async def faststream_redis(url: str, count: int, concurrency: int) -> float:
    from faststream import AckPolicy
    from faststream.redis import RedisBroker, StreamSub

    broker = RedisBroker(url, logger=None, max_connections=1000)
    stream = f"bench-fs-{uuid4().hex[:8]}"
    seen: set[str] = set()
    done = asyncio.Event()

    @broker.subscriber(
        stream=StreamSub(stream, group="bench", consumer="c1", max_records=100, batch=True),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def handle(events: list[Event]) -> None:
        client = broker._connection  # the broker's own Redis client
        for event in events:
            key = f"{stream}.inbox.{event.event_id}"
            if await client.set(key, b"busy", nx=True, px=LEASE_MS):
                seen.add(str(event.event_id))
                await client.set(key, b"done", px=RETENTION_MS)
        if len(seen) >= count:
            done.set()

    await broker.start()
    batch = [new_event(i) for i in range(count)]
    started = time.perf_counter()
    await gather_limited([lambda e=e: broker.publish(e, stream=stream) for e in batch], concurrency)
    await done.wait()
    elapsed = time.perf_counter() - started
    client = await broker.connect()
    await delete_prefixed(client, f"{stream}.inbox.")
    await client.delete(stream)
    await broker.stop()
    return count / elapsed


async def faststream_nats(url: str, count: int, concurrency: int) -> float:
    import nats
    from faststream import AckPolicy
    from faststream.nats import JStream, NatsBroker, PullSub

    broker = NatsBroker(url, logger=None)
    name = f"bench_fs_{uuid4().hex[:8]}"
    stream = JStream(name=name, subjects=[f"{name}.items"])
    seen: set[str] = set()
    done = asyncio.Event()
    inbox: list[object] = []

    @broker.subscriber(
        f"{name}.items",
        stream=stream,
        durable=name,
        pull_sub=PullSub(batch_size=100, timeout=1.0, batch=True),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def handle(events: list[Event]) -> None:
        bucket = inbox[0]
        for event in events:
            try:
                await bucket.create(str(event.event_id), str(time.time()).encode())  # type: ignore[attr-defined]
            except nats.js.errors.KeyWrongLastSequenceError:
                continue
            seen.add(str(event.event_id))
            await bucket.put(str(event.event_id), b"done")  # type: ignore[attr-defined]
        if len(seen) >= count:
            done.set()

    await broker.connect()
    inbox.append(
        await broker.config.connection_state.stream.create_key_value(
            bucket=f"{name}_inbox", ttl=RETENTION_MS / 1000
        )
    )
    await broker.start()
    batch = [new_event(i) for i in range(count)]
    started = time.perf_counter()
    await gather_limited(
        [
            lambda e=e: broker.publish(
                e, f"{name}.items", stream=name, headers={"Nats-Msg-Id": str(e.event_id)}
            )
            for e in batch
        ],
        concurrency,
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    js = broker.config.connection_state.stream
    await js.delete_stream(name)
    await js.delete_key_value(f"{name}_inbox")
    await broker.stop()
    return count / elapsed


async def faststream_rabbitmq(url: str, count: int, concurrency: int) -> float:
    from collections import OrderedDict

    from faststream import AckPolicy
    from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue

    broker = RabbitBroker(url, logger=None)
    name = f"bench-fs-{uuid4().hex[:8]}"
    exchange = RabbitExchange(f"{name}.events", type=ExchangeType.TOPIC, durable=True)
    queue = RabbitQueue(name, durable=True, routing_key="items")
    inbox: OrderedDict[str, bool] = OrderedDict()
    done = asyncio.Event()

    @broker.subscriber(
        queue, exchange, channel=Channel(prefetch_count=1), ack_policy=AckPolicy.REJECT_ON_ERROR
    )
    async def handle(event: Event) -> None:
        event_id = str(event.event_id)
        if event_id not in inbox:
            inbox[event_id] = False
            inbox[event_id] = True  # handled
            if len(inbox) > 100_000:
                inbox.popitem(last=False)
        if len(inbox) >= count:
            done.set()

    await broker.start()
    batch = [new_event(i) for i in range(count)]
    started = time.perf_counter()
    await gather_limited(
        [
            lambda e=e: broker.publish(
                e, exchange=exchange, routing_key="items", message_id=str(e.event_id), persist=True
            )
            for e in batch
        ],
        concurrency,
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    channel = await broker._connection.channel()  # type: ignore[union-attr]
    await channel.queue_delete(name)
    await channel.exchange_delete(exchange.name)
    await broker.stop()
    return count / elapsed


def main() -> None:
    mode, broker, url, count, concurrency = sys.argv[1:6]
    if mode == "service":
        if int(count) > 10_000:
            sys.exit("service: COUNT is at most 10,000 (the example side effect keeps as many)")
        rate = asyncio.run(service(broker, url, int(count), int(concurrency)))
    elif mode == "faststream":
        bare = {"redis": faststream_redis, "nats": faststream_nats, "rabbitmq": faststream_rabbitmq}
        rate = asyncio.run(bare[broker](url, int(count), int(concurrency)))
    else:
        raw = {"redis": raw_redis, "nats": raw_nats, "rabbitmq": raw_rabbitmq}[broker]
        rate = asyncio.run(raw(url, int(count), int(concurrency)))
    print(json.dumps({"rate": rate}))


if __name__ == "__main__":
    main()
