"""Publish a long stream of events to a running generated service; run with its Python.

    python soak_driver.py --package PKG --url BROKER_URL --prefix PREFIX --count N

Publishes N new events (`ItemCreated`) to the service's own channel, CONCURRENCY at a
time, through the service's own broker module (as its publisher does, so the broker
confirms each), and prints one JSON object: how many were published. The service, a
separate process, consumes them (tests/test_soak.py, bench/bench_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from uuid import uuid4


async def publish(args: argparse.Namespace) -> dict[str, int]:
    settings_module = importlib.import_module(f"{args.package}.settings")
    broker_module = importlib.import_module(f"{args.package}.messaging.broker")
    events = importlib.import_module(f"{args.package}.messaging.events")
    runtime = importlib.import_module(f"{args.package}.messaging.runtime")
    settings = settings_module.Settings(
        _env_file=None, broker_url=args.url, channel_prefix=args.prefix
    )
    channels = events.Channels.named(runtime.SERVICE_NAME, args.prefix)
    broker = broker_module.build_broker(settings)
    await broker.connect()
    slots = asyncio.Semaphore(args.concurrency)

    async def one(index: int) -> None:
        event = events.ItemCreated(item_id=uuid4(), name=f"soak-{index}")
        async with slots:
            await broker_module.publish(
                broker, channels, event, {events.MESSAGE_ID_HEADER: str(event.event_id)}
            )

    try:
        for start in range(0, args.count, 1000):  # a bounded number of tasks at a time
            await asyncio.gather(*(one(i) for i in range(start, min(start + 1000, args.count))))
    finally:
        await broker.stop()
    return {"published": args.count}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(publish(args))))


if __name__ == "__main__":
    main()
