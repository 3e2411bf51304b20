"""Deduplication that survives restarts and replicas, on the real shared brokers: an
event handled by a consumer that died before acknowledging it is not applied again by
the next one (Redis, NATS); two replicas of one service apply each event once, even
when it is published twice (Redis, NATS; RabbitMQ with INBOX_REDIS_URL); the in-process
inbox stays within its bound (RabbitMQ). Kafka has no broker here: not covered."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from running import BROKER_URLS
from test_messaging import DRIVER, drive

from helpers import assert_ok, render

INBOX_REDIS_URL = BROKER_URLS["redis"]


def start_driver(python: Path, project: Path, check: str, url: str, *options: str) -> Any:
    return subprocess.Popen(
        [str(python), str(DRIVER), check, "--package", "orders", "--url", url, *options],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )


def effects(*records: Path) -> Counter[str]:
    """How many times each event's side effect ran, over every process."""
    counts: Counter[str] = Counter()
    for record in records:
        if record.exists():
            counts.update(record.read_text().split())
    return counts


def clean(python: Path, project: Path, url: str, prefix: str, *options: str) -> None:
    drive(python, project, "clean", url, "--prefix", prefix, *options)


@pytest.mark.parametrize("broker", ["redis", "nats"])
def test_a_redelivery_after_a_consumer_restart_is_not_applied_twice(
    copie: Any, service_python: Path, tmp_path: Path, broker: str
) -> None:
    project = render(copie, messaging=broker)
    url = BROKER_URLS[broker]
    prefix = f"mio-{uuid.uuid4().hex[:8]}."
    record = tmp_path / "effects"
    common = ["--prefix", prefix, "--record", str(record), "--redelivery", "2"]
    try:
        command = [str(service_python), str(DRIVER), "restart-first", "--package", "orders"]
        first = subprocess.run(
            [*command, "--url", url, "--count", "50", *common],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(project / "src")},
            timeout=120,
        )
        assert_ok(first)  # it ended itself once a batch was handled, unacknowledged
        handled_first = set(effects(record))
        assert handled_first, "the first consumer handled nothing"
        second = drive(service_python, project, "restart-second", url, *common)
    finally:
        clean(service_python, project, url, prefix)
    counts = effects(record)
    assert len(counts) == 50  # every event handled
    assert [event for event, times in counts.items() if times > 1] == []  # none twice
    # The redeliveries of what the first handled were recognised by the shared inbox
    # (some more than once: a message can be delivered again while its batch is handled).
    assert second["duplicates"] >= len(handled_first)
    assert second["handled"] == 50 - len(handled_first)


@pytest.mark.parametrize("broker", ["redis", "nats", "rabbitmq"])
def test_two_replicas_of_one_service_apply_each_event_once(
    copie: Any, service_python: Path, tmp_path: Path, broker: str
) -> None:
    project = render(copie, messaging=broker)
    url = BROKER_URLS[broker]
    prefix = f"mio-{uuid.uuid4().hex[:8]}."
    seed = uuid.uuid4().hex
    inbox = ["--inbox-redis-url", INBOX_REDIS_URL] if broker == "rabbitmq" else []
    common = ["--prefix", prefix, "--seed", seed, "--count", "200", "--redelivery", "2", *inbox]
    records = [tmp_path / "replica-a", tmp_path / "replica-b"]
    try:
        replicas = [
            start_driver(service_python, project, "replica", url, *common, "--record", str(r))
            for r in records
        ]
        outcomes = []
        for process in replicas:
            stdout, stderr = process.communicate(timeout=180)
            assert process.returncode == 0, stderr[-4000:]
            outcomes.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        clean(service_python, project, url, prefix)
        if inbox:
            clean(service_python, project, INBOX_REDIS_URL, prefix)
    counts = effects(*records)
    # Each replica published all 200 (the same ids): 400 messages, 200 effects.
    assert len(counts) == 200
    assert [event for event, times in counts.items() if times > 1] == []
    assert sum(outcome["handled"] for outcome in outcomes) == 200
    if broker != "nats":  # NATS: the stream drops the second publish (same Nats-Msg-Id)
        assert sum(outcome["duplicates"] for outcome in outcomes) >= 200


def test_the_in_process_inbox_stays_within_its_bound(copie: Any, service_python: Path) -> None:
    """RabbitMQ without INBOX_REDIS_URL keeps the last INBOX_CAPACITY ids in the process."""
    project = render(copie, messaging="rabbitmq")
    outcome = drive(
        service_python,
        project,
        "bounded",
        BROKER_URLS["rabbitmq"],
        "--count",
        "3000",
        "--inbox-capacity",
        "1000",
    )
    assert outcome["all_handled"]
    assert outcome["capacity"] == 1000
    assert outcome["inbox_size"] == 1000  # filled three times over, never past its bound
    assert outcome["duplicates"] == 1  # the newest id is still remembered
    assert outcome["handled"] == 3001  # the oldest was forgotten: handled again
