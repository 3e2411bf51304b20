"""Crash-proven messaging: a generated service, two replicas of it, on a broker process of
the test's own (never the machine's shared one), while thousands of events flow.

Each run posts items to replica A (`POST /items` answers 201 only once the broker has the
item's event: that is an acknowledged event), both replicas consume them, and mid-stream
one of these happens:

- broker-kill: kill -9 the broker, start it again on the same port and data folder;
- connection-cut: every connection of replica B to the broker is dropped, and refused
  for a moment (a proxy between them);
- service-sigterm: replica B gets SIGTERM with messages in flight, and is started again;
- service-kill: replica B gets kill -9 with messages in flight, and is started again.

An event is applied when a replica logs its side effect ("item created" with the item's
id). Asserted for each broker: no acknowledged event is lost, and no event is applied
twice, except after a service kill, where the events that replica had in flight at the
moment of the kill (applied, not yet marked done in the inbox) may be applied again: at
most `MESSAGE_CONCURRENCY` (1) events (see docs/messaging.md).
Each run prints its numbers (`pytest -s` shows them).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from cutting_proxy import CuttingProxy
from own_brokers import OwnBroker, own_broker
from running import Service, call, running

from helpers import render

pytestmark = pytest.mark.long_file  # takes minutes: scheduled first (conftest.py)

EVENTS = 2000
KINDS = ["redis", "nats", "rabbitmq"]
NAME = "ledger"
#: Events a killed replica may have applied but not yet marked done: those it was handling
#: at that moment, MESSAGE_CONCURRENCY (1). Earlier events of its batch were marked done,
#: so their redeliveries are skipped as duplicates.
IN_FLIGHT_BOUND = 1


@pytest.fixture(scope="module", params=KINDS)
def project(request: pytest.FixtureRequest, copie_session: Any) -> tuple[str, Path]:
    kind: str = request.param
    return kind, render(copie_session, service_name=NAME, messaging=kind)


#: MESSAGE_REDELIVERY_SECONDS, short to keep the runs short (the default is 30 s), but longer
#: than the broker takes to be back: a handled id is marked done within it, and NATS with
#: JetStream takes about 5 s after a kill (its inbox lives there) to take writes again.
REDELIVERY_SECONDS = {"redis": 4, "nats": 10, "rabbitmq": 4}


def environment(kind: str, url: str, inbox_url: str | None) -> dict[str, str]:
    env = {
        "LEDGER_BROKER_URL": url,
        "LEDGER_ACCESS_LOG": "false",
        "LEDGER_LOG_LEVEL": "INFO",
        "LEDGER_MESSAGE_REDELIVERY_SECONDS": str(REDELIVERY_SECONDS[kind]),
    }
    if inbox_url is not None:  # RabbitMQ: replicas share their inbox in Redis
        env["LEDGER_INBOX_REDIS_URL"] = inbox_url
    return env


def applied(*services: Service) -> Counter[str]:
    """Item ids whose side effect a replica logged, with how often."""
    seen: Counter[str] = Counter()
    for service in services:
        text = service.log.read_text(errors="replace")
        complete = text[: text.rfind("\n") + 1]  # a line still being written: read next time
        for line in complete.splitlines():
            if '"item created"' not in line:
                continue
            record = json.loads(line)
            if record.get("event") == "item created":
                seen[record["item_id"]] += 1
    return seen


def warnings_and_twice(a: Service, b: Service, seen: Counter[str]) -> str:
    """For a failure message: each replica's warnings, and where the repeated effects ran."""
    twice = {item for item, count in seen.items() if count > 1}
    lines = []
    for service in (a, b):
        for number, line in enumerate(service.log.read_text(errors="replace").splitlines()):
            try:
                record = json.loads(line)
            except ValueError:
                lines.append(f"{service.replica}:{number} {line[:300]}")
                continue
            if record.get("level") in ("warning", "error") or record.get("item_id") in twice:
                lines.append(f"{service.replica}:{number} {line[:300]}")
    return "\n".join(lines[-60:])


def post_items(base: str, count: int, acknowledged: list[str], lock: threading.Lock) -> None:
    def one(index: int) -> None:
        try:
            status, _, body = call(
                "POST",
                f"{base}/items",
                json.dumps({"name": f"n{index}"}).encode(),
                {"content-type": "application/json"},
                timeout=15,
            )
        except OSError:
            return
        if status == 201:
            with lock:
                acknowledged.append(json.loads(body)["id"])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))


def disruption(name: str, broker: OwnBroker, proxy: CuttingProxy, b: Service) -> Callable[[], None]:
    def broker_kill() -> None:
        broker.kill()
        time.sleep(1)
        broker.start()

    def service_sigterm() -> None:
        b.stop()
        b.start()

    def service_kill() -> None:
        assert b.process is not None
        b.process.kill()
        b.process.wait()
        b.process = None
        b.start()

    return {
        "broker-kill": broker_kill,
        "connection-cut": lambda: proxy.cut(2),
        "service-sigterm": service_sigterm,
        "service-kill": service_kill,
    }[name]


@pytest.mark.parametrize(
    "scenario", ["broker-kill", "connection-cut", "service-sigterm", "service-kill"]
)
def test_no_acknowledged_event_is_lost_or_applied_twice(
    project: tuple[str, Path], scenario: str, service_python: Path, tmp_path: Path
) -> None:
    kind, path = project
    with ExitStack() as stack:
        broker = stack.enter_context(own_broker(kind, tmp_path / "broker"))
        proxy = stack.enter_context(CuttingProxy(broker.port))
        inbox_url = None
        if kind == "rabbitmq":
            inbox_url = stack.enter_context(own_broker("redis", tmp_path / "inbox")).url
        via_proxy = broker.url.replace(f":{broker.port}", f":{proxy.port}")
        direct, cut = (environment(kind, url, inbox_url) for url in (broker.url, via_proxy))
        a = Service(NAME, path, service_python, env=direct, replica="a")
        b = Service(NAME, path, service_python, env=cut, replica="b")
        for service in (a, b):
            service.log.unlink(missing_ok=True)
        acknowledged: list[str] = []
        lock = threading.Lock()
        with running(a, b):
            post_items(a.base, EVENTS // 2, acknowledged, lock)
            disrupt = threading.Thread(target=disruption(scenario, broker, proxy, b))
            disrupt.start()
            post_items(a.base, EVENTS // 2, acknowledged, lock)
            disrupt.join(timeout=120)
            assert not disrupt.is_alive(), f"the {scenario} did not finish"
            if b.process is None:
                b.start()
            post_items(a.base, EVENTS // 4, acknowledged, lock)
            deadline = time.monotonic() + 120
            while set(acknowledged) - set(applied(a, b)) and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(REDELIVERY_SECONDS[kind] + 2)  # a late duplicate would show up by now
            seen = applied(a, b)
        lost = set(acknowledged) - set(seen)
        twice = sum(count - 1 for count in seen.values() if count > 1)
        print(
            f"\n{kind} {scenario}: {len(acknowledged)} acknowledged, {len(seen)} applied, "
            f"{len(lost)} lost, {twice} applied twice"
        )
        assert len(acknowledged) >= EVENTS // 2, "too few events were acknowledged to judge"
        assert not lost, f"{len(lost)} acknowledged events never applied\n{b.tail()}"
        allowed = IN_FLIGHT_BOUND if scenario == "service-kill" else 0
        assert twice <= allowed, (
            f"{twice} events applied twice after a {scenario}\n" + warnings_and_twice(a, b, seen)
        )


@pytest.fixture(scope="module")
def rabbitmq_service(copie_session: Any) -> Path:
    return render(copie_session, service_name=NAME, messaging="rabbitmq")


def prefetches(broker: OwnBroker) -> dict[str, int]:
    """Each consumer's queue and prefetch count, as the RabbitMQ node reports them."""
    text = broker.rabbitmqctl(
        "list_consumers", "--quiet", "--no-table-headers", "queue_name", "prefetch_count"
    )
    rows = (line.split("\t") for line in text.splitlines())  # the CLI's notices have no tab
    return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}


def item_created_order(service: Service) -> list[str]:
    return [
        json.loads(line)["item_id"]
        for line in service.log.read_text(errors="replace").splitlines()
        if '"item created"' in line
    ]


def test_rabbitmq_keeps_queue_order_at_prefetch_1_and_prefetches_the_concurrency(
    rabbitmq_service: Path, service_python: Path, tmp_path: Path
) -> None:
    """As docs/messaging.md says: one consumer at MESSAGE_CONCURRENCY 1 handles the queue in
    order; the prefetch (messages taken unacknowledged) is MESSAGE_CONCURRENCY."""
    with own_broker("rabbitmq", tmp_path / "broker") as broker:
        env = environment("rabbitmq", broker.url, None)
        one = Service(NAME, rabbitmq_service, service_python, env=env, replica="order")
        one.log.unlink(missing_ok=True)
        posted: list[str] = []
        with running(one):
            for index in range(300):  # one at a time: the publish order is known
                status, _, body = call(
                    "POST",
                    f"{one.base}/items",
                    json.dumps({"name": f"n{index}"}).encode(),
                    {"content-type": "application/json"},
                )
                assert status == 201
                posted.append(json.loads(body)["id"])
            deadline = time.monotonic() + 60
            while len(item_created_order(one)) < len(posted) and time.monotonic() < deadline:
                time.sleep(0.2)
            first = prefetches(broker)
        assert item_created_order(one) == posted
        assert set(first.values()) == {1}, first

        many = Service(
            NAME,
            rabbitmq_service,
            service_python,
            env={**env, "LEDGER_MESSAGE_CONCURRENCY": "8"},
            replica="many",
        )
        with running(many):
            second = prefetches(broker)
        assert set(second.values()) == {8}, second
