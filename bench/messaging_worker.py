"""One publish-to-consume run, in the Python of a generated service (see bench_messaging.py).

    python messaging_worker.py {service,raw} {redis,nats} URL COUNT CONCURRENCY

Publishes COUNT messages, COUNT concurrency at a time, and waits until every one has
been consumed and acknowledged; prints the messages per second. `service` goes through
the generated service's publisher and subscriber; `raw` does the same work with the
broker's own client, as the service does it: batches of up to 100 read, each event
validated (pydantic) and handled, then the batch acknowledged (redis-py: XADD,
XREADGROUP, one XACK per batch; nats-py: JetStream publish, pull fetch, an ack per
message).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
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


async def service(broker: str, url: str, count: int, concurrency: int) -> float:
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
        return count / (time.perf_counter() - started)


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
                    seen.add(str(Event.model_validate_json(fields[b"data"]).event_id))
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
    await client.aclose()
    return count / elapsed


async def raw_nats(url: str, count: int, concurrency: int) -> float:
    import nats

    connection = await nats.connect(url)
    js = connection.jetstream()
    name = f"bench_raw_{uuid4().hex[:8]}"
    await js.add_stream(name=name, subjects=[f"{name}.items"])
    subscription = await js.pull_subscribe(f"{name}.items", durable=name)
    seen: set[str] = set()

    async def consume() -> None:
        while len(seen) < count:
            try:
                messages = await subscription.fetch(100, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                seen.add(str(Event.model_validate_json(message.data).event_id))
            for message in messages:
                await message.ack()

    batch = [new_event(i) for i in range(count)]
    consumer = asyncio.create_task(consume())
    started = time.perf_counter()
    await gather_limited(
        [lambda e=e: js.publish(f"{name}.items", e.model_dump_json().encode()) for e in batch],
        concurrency,
    )
    await consumer
    elapsed = time.perf_counter() - started
    await js.delete_stream(name)
    await connection.close()
    return count / elapsed


def main() -> None:
    mode, broker, url, count, concurrency = sys.argv[1:6]
    if mode == "service":
        rate = asyncio.run(service(broker, url, int(count), int(concurrency)))
    elif broker == "redis":
        rate = asyncio.run(raw_redis(url, int(count), int(concurrency)))
    else:
        rate = asyncio.run(raw_nats(url, int(count), int(concurrency)))
    print(json.dumps({"rate": rate}))


if __name__ == "__main__":
    main()
