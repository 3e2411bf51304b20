"""Dead letters an operator can work with: a generated service's `dead-letters` command
lists, shows and replays what it gave up on, on the real Redis, RabbitMQ and NATS: the
events of its own channel, and those it consumes from other services (replayed to this
service only, not to the producer's other consumers)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from helpers import assert_ok, in_service, render

DRIVER = Path(__file__).with_name("dead_letter_driver.py")
INBOX_REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_URLS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
    "nats": "nats://127.0.0.1:4222",
}
CONSUMED_EVENT = "shop.items.created"
ITEM_FIELDS = {"event_id": "uuid", "occurred_at": "date-time", "item_id": "uuid", "name": "string"}


def drive(python: Path, project: Path, step: str, *options: str) -> dict[str, Any]:
    outcome: dict[str, Any] = in_service(
        python, project, DRIVER, step, "--package", "orders", *options
    )
    return outcome


def dead_letters(
    python: Path, project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """`python -m orders dead-letters ARGS`, as an operator runs it."""
    return subprocess.run(
        [str(python), "-m", "orders", "dead-letters", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src"), **env},
        timeout=120,
    )


def poison_and_list(
    python: Path,
    project: Path,
    env: dict[str, str],
    step: str,
    options: list[str],
    empty: str,
) -> tuple[str, list[dict[str, Any]]]:
    """`list` says `empty` (nothing dead yet); the driver's `step` makes one dead letter,
    which `list --json` then holds: its id and what `list --json` says."""
    listed_empty = dead_letters(python, project, env, "list")
    assert_ok(listed_empty)
    assert listed_empty.stdout == empty
    poisoned = drive(python, project, step, *options)
    assert poisoned["dead_lettered"], poisoned
    listed = dead_letters(python, project, env, "list", "--json")
    assert_ok(listed)
    letters: list[dict[str, Any]] = json.loads(listed.stdout)
    return poisoned["event_id"], letters


@pytest.mark.parametrize("broker", sorted(BROKER_URLS))
def test_a_dead_letter_is_listed_shown_and_replayed_once_then_gone(
    copie: Any, service_python: Path, broker: str
) -> None:
    project = render(copie, messaging=broker)
    url = BROKER_URLS[broker]
    prefix = f"dl{uuid.uuid4().hex[:8]}."
    options = ["--url", url, "--prefix", prefix]
    env = {"ORDERS_BROKER_URL": url, "ORDERS_CHANNEL_PREFIX": prefix}
    if broker == "rabbitmq":  # ids shared across processes, so the release matters
        options += ["--inbox-redis-url", INBOX_REDIS_URL]
        env["ORDERS_INBOX_REDIS_URL"] = INBOX_REDIS_URL
    try:
        empty = f"No dead letters on {prefix}orders.items.created.\n"
        event_id, letters = poison_and_list(service_python, project, env, "poison", options, empty)
        assert [letter["id"] for letter in letters] == [event_id]
        assert letters[0]["channel"] == f"{prefix}orders.items.created"
        assert letters[0]["at"]
        text = dead_letters(service_python, project, env, "list")
        assert_ok(text)
        assert text.stdout.split()[0] == event_id

        shown = dead_letters(service_python, project, env, "show", event_id)
        assert_ok(shown)
        letter = json.loads(shown.stdout)
        assert letter["payload"]["name"] == "poison"
        assert letter["payload"]["event_id"] == event_id
        assert letter["headers"]["x-message-id"] == event_id

        unknown = dead_letters(service_python, project, env, "replay", str(uuid.uuid4()))
        assert unknown.returncode == 2
        assert len(unknown.stderr.strip().splitlines()) == 1

        which = ["--all"] if broker == "nats" else [event_id]  # both ways, one broker each
        replayed = dead_letters(service_python, project, env, "replay", *which)
        assert_ok(replayed)
        assert event_id in replayed.stdout

        handled = drive(service_python, project, "handle", *options, "--event-id", event_id)
        assert handled == {"side_effects": 1, "duplicates": 0, "dead_lettered": 0}
        after = dead_letters(service_python, project, env, "list", "--json")
        assert_ok(after)
        assert json.loads(after.stdout) == []
    finally:
        drive(service_python, project, "remove", *options)  # the Redis inbox too


@pytest.mark.parametrize("broker", sorted(BROKER_URLS))
def test_a_consumed_events_dead_letter_is_listed_by_source_and_replayed_to_this_service_only(
    copie: Any, service_python: Path, broker: str
) -> None:
    project = render(
        copie,
        messaging=broker,
        consumes=[CONSUMED_EVENT],
        consumed_events=[{"event": CONSUMED_EVENT, "fields": ITEM_FIELDS}],
    )
    url = BROKER_URLS[broker]
    prefix = f"dc{uuid.uuid4().hex[:8]}."
    options = ["--url", url, "--prefix", prefix, "--event", CONSUMED_EVENT]
    env = {"ORDERS_BROKER_URL": url, "ORDERS_CHANNEL_PREFIX": prefix}
    source = f"{prefix}{CONSUMED_EVENT}"
    try:
        empty = f"No dead letters on {prefix}orders.items.created, {source} (consumed).\n"
        event_id, letters = poison_and_list(
            service_python, project, env, "poison-consumed", options, empty
        )
        assert [(letter["id"], letter["channel"]) for letter in letters] == [(event_id, source)]
        own = dead_letters(
            service_python, project, env, "list", "--channel", f"{prefix}orders.items.created"
        )
        assert_ok(own)
        assert own.stdout == f"No dead letters on {prefix}orders.items.created.\n"
        unknown = dead_letters(service_python, project, env, "list", "--channel", "nowhere")
        assert unknown.returncode == 2 and source in unknown.stderr

        shown = dead_letters(service_python, project, env, "show", event_id, "--channel", source)
        assert_ok(shown)
        letter = json.loads(shown.stdout)
        assert letter["payload"]["name"] == "poison"
        assert letter["channel"] == source

        replayed = dead_letters(service_python, project, env, "replay", event_id)
        assert_ok(replayed)
        assert replayed.stdout == (
            f"replayed {event_id} to this service's subscription to {source}\n"
        )

        handled = drive(
            service_python, project, "handle-consumed", *options, "--event-id", event_id
        )
        assert handled == {
            "reactions": 1,
            "handled": 1,
            "duplicates": 0,
            "dead_lettered": 0,
            "on_producer_channel": 1,  # the original only: the replay reached no one else
        }
        after = dead_letters(service_python, project, env, "list", "--json")
        assert_ok(after)
        assert json.loads(after.stdout) == []
    finally:
        drive(service_python, project, "remove", *options)


def test_an_unreachable_broker_fails_with_one_line_and_exit_1(
    copie: Any, service_python: Path
) -> None:
    project = render(copie, messaging="redis")
    env = {"ORDERS_BROKER_URL": "redis://127.0.0.1:9/0"}
    result = dead_letters(service_python, project, env, "list")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
