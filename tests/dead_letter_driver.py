"""Make and take dead letters in a generated service; run with the service's Python.

    python dead_letter_driver.py STEP --package PKG --url BROKER_URL --prefix PREFIX

Runs the service in process (its app, lifespan and broker connection) and prints one
JSON object; the mio test between the steps runs the service's `dead-letters` command.
STEP is one of:

- poison: publish an event whose handler always fails, wait until it is dead-lettered;
- handle: start the service again (with its example handler working) and report how
  often the event's side effect ran;
- remove: delete what the service made on the broker (its `remove_channels`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from typing import Any
from uuid import uuid4

from messaging_driver import counted, serving, wait_for


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


async def poison(args: argparse.Namespace) -> dict[str, Any]:
    events = importlib.import_module(f"{args.package}.messaging.events")
    async with serving(make_app(args)) as (messaging, _):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"

        async def broken(event: Any) -> None:
            raise RuntimeError("poison")

        messaging.handler.effect = broken
        event = events.ItemCreated(item_id=uuid4(), name="poison")
        await messaging.publish(event)
        dead = await wait_for(lambda: counted(messaging, "dead_lettered") >= 1, 30)
        await asyncio.sleep(0.5)  # RabbitMQ routes the rejected message in its own time
        return {"event_id": str(event.event_id), "dead_lettered": dead}


async def handle(args: argparse.Namespace) -> dict[str, Any]:
    async with serving(make_app(args)) as (messaging, _):
        assert await wait_for(lambda: messaging.connected, 20), "broker never connected"

        def applied() -> int:
            return sum(str(e.event_id) == args.event_id for e in messaging.item_log.entries)

        await wait_for(lambda: applied() >= 1, 30)
        await asyncio.sleep(1.0)  # nothing more may arrive
        return {
            "side_effects": applied(),
            "duplicates": counted(messaging, "duplicate"),
            "dead_lettered": counted(messaging, "dead_lettered"),
        }


async def remove(args: argparse.Namespace) -> dict[str, Any]:
    runtime = importlib.import_module(f"{args.package}.messaging.runtime")
    settings_class = importlib.import_module(f"{args.package}.settings").Settings
    await runtime.remove_channels(settings_class(**settings_of(args)))
    return {}


STEPS = {"poison": poison, "handle": handle, "remove": remove}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--inbox-redis-url", default="")
    parser.add_argument("--event-id", default="")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(STEPS[args.step](args))))


if __name__ == "__main__":
    main()
