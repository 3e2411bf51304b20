"""Drive a generated service against a real broker; run with the service's Python.

    python messaging_driver.py CHECK --package PKG --url BROKER_URL [options]

Runs the service in process (its FastAPI app, lifespan and broker connection), talks
HTTP to it through httpx's ASGI transport, and prints one JSON object of what it saw.
The mio test that calls it makes the assertions. CHECK is one of:

- delivery: publish many events through the service (the first --http of them by
  POST /items, the rest straight through its publisher, the code POST /items calls,
  which keeps the run short), re-publish some (duplicates), wait for every one to be
  handled;
- fault: POST items through a TCP proxy to the broker, cut every connection midway
  (the proxy stops listening for a moment), restore, wait for what was acknowledged;
- unreachable: start with the broker's address unreachable, probe, then make it
  reachable and wait for readiness;
- restart-first / restart-second: the first publishes --count events, records each event
  it handles (--record), and once a batch is handled ends the process before the broker
  has its acknowledgement (a crash); the second, a fresh process, takes the
  redeliveries, records what it handles, and reports its duplicates;
- replica: one replica of several; publishes --count events whose ids every replica
  shares (--seed), so each event is published once per replica, and records what it
  handles until nothing more arrives;
- bounded: publish --count events into an in-process inbox of --inbox-capacity ids, then
  the first and the last again; report the inbox's size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4, uuid5

import httpx
from aiomisc.pytest import TCPProxy
from prometheus_client import REGISTRY


def load(package: str) -> tuple[Any, Any]:
    app_module = importlib.import_module(f"{package}.app")
    settings_module = importlib.import_module(f"{package}.settings")
    return app_module.create_app, settings_module.Settings


def through(url: str, port: int) -> str:
    """The same broker URL, but to 127.0.0.1:port (the proxy)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def wait_for(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def wait_for_async(condition: Callable[[], Awaitable[bool]], within: float) -> bool:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def make_app(args: argparse.Namespace, url: str) -> Any:
    create_app, settings_class = load(args.package)
    settings = settings_class(
        _env_file=None,
        broker_url=url,
        channel_prefix=args.prefix,
        message_redelivery_seconds=args.redelivery,
        log_level="WARNING",
        **({"inbox_capacity": args.inbox_capacity} if args.inbox_capacity else {}),
        **({"inbox_redis_url": args.inbox_redis_url} if args.inbox_redis_url else {}),
    )
    return create_app(settings)


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Run the app's lifespan; its messaging, and an HTTP client to the app.

    Each request gets a copy of the lifespan state in its scope, as uvicorn gives it
    (httpx's ASGI transport alone does not), so the app's dependencies find it.
    """
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield state["messaging"], client


def counted(messaging: Any, events: str) -> int:
    """The service's messaging_<events>_events_total for this run's subscriber."""
    labels = {"handler": messaging.channels.items_created}
    return int(REGISTRY.get_sample_value(f"messaging_{events}_events_total", labels) or 0)


async def post_items(
    client: httpx.AsyncClient,
    count: int,
    concurrency: int,
    on_progress: Callable[[int], Awaitable[None]] | None = None,
) -> tuple[list[str], int]:
    """POST `count` items; the ids of those acknowledged (201), and how many failed."""
    acked: list[str] = []
    failed = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def worker() -> None:
        nonlocal failed
        while not queue.empty():
            index = queue.get_nowait()
            try:
                response = await client.post("/items", json={"name": f"item-{index}"})
            except httpx.HTTPError:
                failed += 1
                continue
            if response.status_code == 201:
                acked.append(response.json()["id"])
            else:
                failed += 1
            if on_progress is not None:
                await on_progress(len(acked) + failed)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acked, failed


async def publish_all(messaging: Any, events: list[Any], concurrency: int) -> int:
    """Publish through the service's publisher, `concurrency` at a time; failures raise."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(event: Any) -> None:
        async with semaphore:
            await messaging.publish(event)

    await asyncio.gather(*(one(event) for event in events))
    return 0


def summary(messaging: Any, acked: list[str]) -> dict[str, Any]:
    entries = messaging.item_log.entries
    consumed = {str(event.item_id) for event in entries}
    return {
        "acked": len(acked),
        "handled": counted(messaging, "handled"),
        "side_effects": len(entries),
        "unique_side_effects": len({event.event_id for event in entries}),
        "duplicates": counted(messaging, "duplicate"),
        "dead_lettered": counted(messaging, "dead_lettered"),
        "missing": sorted(set(acked) - consumed)[:20],
        "missing_count": len(set(acked) - consumed),
    }


async def delivery(args: argparse.Namespace) -> dict[str, Any]:
    app = make_app(args, args.url)
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with serving(app) as (messaging, client):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"
        started = time.perf_counter()
        http_count = min(args.http, args.count)
        acked, failed = await post_items(client, http_count, args.concurrency)
        direct = [
            events.ItemCreated(item_id=uuid4(), name=f"item-{index}")
            for index in range(http_count, args.count)
        ]
        failed += await publish_all(messaging, direct, args.concurrency)
        acked += [str(event.item_id) for event in direct]
        published = time.perf_counter() - started
        all_handled = await wait_for(lambda: counted(messaging, "handled") >= len(acked), 60)
        elapsed = time.perf_counter() - started
        # Re-send some events unchanged (same message id), as a publisher retry would.
        again = list(messaging.item_log.entries)[: args.duplicates]
        await asyncio.gather(*(messaging.publish(event) for event in again))
        await wait_for(lambda: counted(messaging, "duplicate") >= len(again), 30)
        await asyncio.sleep(0.5)  # nothing more may arrive
        return {
            **summary(messaging, acked),
            "failed": failed,
            "via_http": http_count,
            "resent": len(again),
            "all_handled": all_handled,
            "publish_seconds": round(published, 2),
            "publish_to_consume_seconds": round(elapsed, 2),
        }


async def fault(args: argparse.Namespace) -> dict[str, Any]:
    target = urlsplit(args.url)
    proxy = TCPProxy(target.hostname or "127.0.0.1", target.port or 0)
    await proxy.start()
    app = make_app(args, through(args.url, proxy.proxy_port))
    cut_at = args.count // 2
    cuts: list[float] = []

    async def maybe_cut(done: int) -> None:
        if done >= cut_at and not cuts:
            cuts.append(time.monotonic())
            await proxy.close()  # every connection dropped, and nothing listens for a while
            await asyncio.sleep(args.outage)
            await proxy.start()

    try:
        async with serving(app) as (messaging, client):
            assert await wait_for(lambda: messaging.connected, 20), "broker never connected"
            acked, failed = await post_items(client, args.count, args.concurrency, maybe_cut)
            # The connection comes back: publishing works again.
            deadline = time.monotonic() + 30
            recovered = False
            while not recovered and time.monotonic() < deadline:
                response = await client.post("/items", json={"name": "after the cut"})
                recovered = response.status_code == 201
                if recovered:
                    acked.append(response.json()["id"])
                else:
                    await asyncio.sleep(0.2)
            acked_set = set(acked)
            consumed = lambda: {str(e.item_id) for e in messaging.item_log.entries}  # noqa: E731
            all_handled = await wait_for(lambda: acked_set <= consumed(), 60)
            # Redeliveries of messages whose ack was lost arrive after the redelivery time.
            await asyncio.sleep(args.redelivery + 1.5)
            return {
                **summary(messaging, acked),
                "failed": failed,
                "cut": bool(cuts),
                "recovered": recovered,
                "all_handled": all_handled,
            }
    finally:
        await proxy.close()


async def unreachable(args: argparse.Namespace) -> dict[str, Any]:
    target = urlsplit(args.url)
    proxy = TCPProxy(target.hostname or "127.0.0.1", target.port or 0)  # not started yet
    app = make_app(args, through(args.url, proxy.proxy_port))
    result: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        async with serving(app) as (messaging, client):
            result["startup_seconds"] = round(time.perf_counter() - started, 2)
            await asyncio.sleep(0.5)
            result["healthz_down"] = (await client.get("/healthz")).status_code
            result["readyz_down"] = (await client.get("/readyz")).status_code
            result["post_down"] = (await client.post("/items", json={"name": "x"})).status_code
            await proxy.start()  # the broker comes back

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            result["recovered"] = await wait_for_async(ready, 30)
            result["healthz_up"] = (await client.get("/healthz")).status_code
            response = await client.post("/items", json={"name": "after"})
            result["post_up"] = response.status_code
            item_id = response.json().get("id")
            result["consumed_after_recovery"] = await wait_for(
                lambda: any(str(e.item_id) == item_id for e in messaging.item_log.entries), 20
            )
        return result
    finally:
        await proxy.close()


def record_effects(package: str, path: str) -> None:
    """Append the id of every event whose side effect (ItemCreatedLog.record) runs to
    `path`, as it runs; set before the app starts, so no event is missed."""
    log = importlib.import_module(f"{package}.messaging.handlers").ItemCreatedLog
    effect = log.record

    async def recorded(self: Any, event: Any) -> None:
        await effect(self, event)
        with open(path, "a", encoding="utf-8") as file:
            file.write(f"{event.event_id}\n")

    log.record = recorded


async def settled(messaging: Any, within: float, quiet: float = 3.0) -> None:
    """Wait until handled + duplicates stop changing for `quiet` seconds."""
    deadline = time.monotonic() + within
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = counted(messaging, "handled") + counted(messaging, "duplicate")
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.1)


def shared_events(events: Any, seed: str, count: int) -> list[Any]:
    """The same events (same ids) in every process given the same seed."""
    namespace = UUID(int=int(seed, 16))
    return [
        events.ItemCreated(
            event_id=uuid5(namespace, f"event-{index}"),
            item_id=uuid5(namespace, f"item-{index}"),
            name=f"item-{index}",
        )
        for index in range(count)
    ]


@contextlib.asynccontextmanager
async def connected(args: argparse.Namespace) -> AsyncIterator[Any]:
    """The service's messaging, recording its side effects, once its broker is connected."""
    record_effects(args.package, args.record)
    async with serving(make_app(args, args.url)) as (messaging, _):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"
        yield messaging


async def restart_first(args: argparse.Namespace) -> dict[str, Any]:
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with connected(args) as messaging:
        handle_batch = messaging.handler.handle_batch
        published = asyncio.Event()

        async def then_crash(*batch: Any) -> None:
            await published.wait()  # every event is on the broker before the crash
            await handle_batch(*batch)
            os._exit(0)  # handled, its ids done, never acknowledged

        messaging.handler.handle_batch = then_crash
        await publish_all(messaging, shared_events(events, args.seed, args.count), 8)
        published.set()
        await asyncio.sleep(30)
    raise AssertionError("no batch arrived")


async def restart_second(args: argparse.Namespace) -> dict[str, Any]:
    async with connected(args) as messaging:
        await settled(messaging, 60, quiet=args.redelivery + 3)
        return {
            "handled": counted(messaging, "handled"),
            "duplicates": counted(messaging, "duplicate"),
        }


async def replica(args: argparse.Namespace) -> dict[str, Any]:
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with connected(args) as messaging:
        await asyncio.sleep(2)  # every replica subscribed before any publishes
        await publish_all(messaging, shared_events(events, args.seed, args.count), 8)
        await settled(messaging, 60, quiet=args.redelivery + 3)
        return {
            "handled": counted(messaging, "handled"),
            "duplicates": counted(messaging, "duplicate"),
        }


async def bounded(args: argparse.Namespace) -> dict[str, Any]:
    app = make_app(args, args.url)
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with serving(app) as (messaging, _):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"
        sent = shared_events(events, args.seed, args.count)
        await publish_all(messaging, sent, 64)
        all_handled = await wait_for(lambda: counted(messaging, "handled") >= len(sent), 60)
        size = len(messaging.inbox)
        await messaging.publish(sent[-1])  # still remembered: a duplicate
        await wait_for(lambda: counted(messaging, "duplicate") >= 1, 10)
        await messaging.publish(sent[0])  # forgotten long ago: handled again
        await wait_for(lambda: counted(messaging, "handled") > len(sent), 10)
        await asyncio.sleep(0.5)
        return {
            "all_handled": all_handled,
            "inbox_size": size,
            "capacity": messaging.inbox.capacity,
            "handled": counted(messaging, "handled"),
            "duplicates": counted(messaging, "duplicate"),
        }


async def clean_up(package: str, url: str, prefix: str) -> None:
    """Remove what a run left on the broker (its names all start with its own prefix)."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("redis"):
        import redis.asyncio as redis

        client = redis.from_url(url)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif scheme == "nats":
        import nats

        connection = await nats.connect(url)
        js = connection.jetstream()
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in prefix)
        for info in await js.streams_info():  # the service's streams and inbox bucket
            if info.config.name and info.config.name.startswith((stem, f"KV_{stem}")):
                await js.delete_stream(info.config.name)
        await connection.close()
    elif scheme.startswith("amqp"):
        import aio_pika

        events = importlib.import_module(f"{package}.messaging.events")
        runtime = importlib.import_module(f"{package}.messaging.runtime")
        channels = events.Channels.named(runtime.SERVICE_NAME, prefix)
        connection = await aio_pika.connect(url)
        channel = await connection.channel()
        await channel.queue_delete(f"{channels.group}.{channels.items_created}")
        await channel.queue_delete(f"{channels.group}.{channels.items_created_dead_letter}")
        await channel.exchange_delete(f"{channels.group}.events")
        await channel.exchange_delete(f"{channels.group}.dead-letter")
        await connection.close()


async def clean(args: argparse.Namespace) -> dict[str, Any]:
    """Nothing but the clean-up every check ends with: for runs made elsewhere."""
    return {}


CHECKS = {
    "delivery": delivery,
    "fault": fault,
    "unreachable": unreachable,
    "restart-first": restart_first,
    "restart-second": restart_second,
    "replica": replica,
    "bounded": bounded,
    "clean": clean,
}
KEEPS_STATE = {"restart-first", "restart-second", "replica"}  # the test cleans up after all


async def run_check(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return await CHECKS[args.check](args)
    finally:
        if args.check not in KEEPS_STATE:
            await clean_up(args.package, args.url, args.prefix)
            if args.inbox_redis_url:
                await clean_up(args.package, args.inbox_redis_url, args.prefix)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--duplicates", type=int, default=500)
    parser.add_argument("--http", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--redelivery", type=float, default=2.0)
    parser.add_argument("--outage", type=float, default=1.0)
    parser.add_argument("--prefix", help="names to clean up (default: this run's own)")
    parser.add_argument("--record", help="file to append the ids of handled events to")
    parser.add_argument("--seed", default=uuid4().hex, help="hex: the ids of shared events")
    parser.add_argument("--inbox-capacity", type=int, default=0)
    parser.add_argument("--inbox-redis-url", default="")
    args = parser.parse_args()
    args.prefix = args.prefix or f"mio-{uuid4().hex[:10]}."  # names of this run only
    print(json.dumps(asyncio.run(run_check(args))))


if __name__ == "__main__":
    main()
