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
moment of the kill (handled, not yet acknowledged) may be applied again: at most its
batch (`MESSAGE_CONCURRENCY` x the broker's read batch; see docs/messaging.md).
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

EVENTS = 2000
KINDS = ["redis", "nats", "rabbitmq"]
NAME = "ledger"
#: Events a replica may hold handled-but-unacknowledged: its read batch (see docs/messaging.md).
IN_FLIGHT_BOUND = {"redis": 10, "nats": 10, "rabbitmq": 1}


@pytest.fixture(scope="module", params=KINDS)
def project(request: pytest.FixtureRequest, copie_session: Any) -> tuple[str, Path]:
    kind: str = request.param
    return kind, render(copie_session, service_name=NAME, messaging=kind)


REDELIVERY_SECONDS = 4


def environment(url: str, inbox_url: str | None) -> dict[str, str]:
    env = {
        "LEDGER_BROKER_URL": url,
        "LEDGER_ACCESS_LOG": "false",
        "LEDGER_LOG_LEVEL": "INFO",
        "LEDGER_MESSAGE_REDELIVERY_SECONDS": str(REDELIVERY_SECONDS),
    }
    if inbox_url is not None:  # RabbitMQ: replicas share their inbox in Redis
        env["LEDGER_INBOX_REDIS_URL"] = inbox_url
    return env


def applied(*services: Service) -> Counter[str]:
    """Item ids whose side effect a replica logged, with how often."""
    seen: Counter[str] = Counter()
    for service in services:
        for line in service.log.read_text(errors="replace").splitlines():
            if '"item created"' not in line:
                continue
            record = json.loads(line)
            if record.get("event") == "item created":
                seen[record["item_id"]] += 1
    return seen


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
        a = Service(NAME, path, service_python, env=environment(broker.url, inbox_url), replica="a")
        b = Service(NAME, path, service_python, env=environment(via_proxy, inbox_url), replica="b")
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
            time.sleep(REDELIVERY_SECONDS + 2)  # a late duplicate would show up by now
            seen = applied(a, b)
        lost = set(acknowledged) - set(seen)
        twice = sum(count - 1 for count in seen.values() if count > 1)
        print(
            f"\n{kind} {scenario}: {len(acknowledged)} acknowledged, {len(seen)} applied, "
            f"{len(lost)} lost, {twice} applied twice"
        )
        assert len(acknowledged) >= EVENTS // 2, "too few events were acknowledged to judge"
        assert not lost, f"{len(lost)} acknowledged events never applied\n{b.tail()}"
        allowed = IN_FLIGHT_BOUND[kind] if scenario == "service-kill" else 0
        assert twice <= allowed, f"{twice} events applied twice after a {scenario}"
