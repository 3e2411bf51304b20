"""A long soak: a generated service's resident memory under a long stream of events,
against its Deployment's memory limit (deploy/k8s/deployment.yaml: 256Mi).

    python bench/bench_soak.py

Renders a service per broker from this checkout's template and runs it as its owners
do (`python -m orders`, its own process, default settings but MESSAGE_CONCURRENCY 32 so
the soak takes minutes, not tens of minutes), on the real Redis, RabbitMQ and NATS.
Another process (tests/soak_driver.py) publishes BENCH_SOAK_EVENTS events (default
200,000; twice as many on RabbitMQ, whose inbox is in the process) to the service's
channel in chunks of CHUNK, each published once the last is handled, so the broker holds
at most a chunk. The service's RSS (VmRSS) is read every second with the number of events
it handled (its /metrics).

Reported: RSS at start (connected, nothing consumed), after the warm-up (WARMUP events:
the example's kept events are full), at half and at the end of the stream, the peak, and
the slope over the second half (least squares of RSS against events handled), where
everything the service keeps is full. RabbitMQ's in-process inbox is full at its default
INBOX_CAPACITY of 100,000 ids, and its dict's table grows once more about 75,000 ids
later (deleted slots fill it; measured: about +6 MiB at 175,000 events, then flat), so its
stream runs to 400,000 events. Target: the peak within the limit, and the second half's
slope under SLOPE_TARGET MiB per 100,000 events. Single runs: a soak is long, and its
figure is a trend, not a median.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from running import BROKER_URLS, Service, remove_channels  # noqa: E402

from _harness import machine, render_checkout, service_python  # noqa: E402

DRIVER = ROOT / "tests" / "soak_driver.py"
BROKERS = ("redis", "rabbitmq", "nats")
EVENTS = int(os.environ.get("BENCH_SOAK_EVENTS", "200000"))
IN_PROCESS_INBOX = {"rabbitmq"}  # these soak twice as long: past the inbox's last growth
CHUNK = 20_000
WARMUP = 20_000
LIMIT_MIB = 256  # the Deployment's memory limit
SLOPE_TARGET = 1.0  # MiB per 100,000 events over the second half


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope_per_100k(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS (MiB) against events handled, per 100,000 events."""
    if len({events for events, _ in points}) < 2:
        return float("nan")
    return statistics.linear_regression(*zip(*points, strict=True)).slope * 100_000


def at(points: list[tuple[float, float]], events: float) -> float:
    """The first RSS sample taken once `events` were handled."""
    return next(rss for handled, rss in points if handled >= events)


def soak(broker: str, project: Path, python: Path, events: int) -> dict[str, float]:
    url = BROKER_URLS[broker]
    prefix = f"soak{uuid.uuid4().hex[:8]}."
    channel = f"{prefix}orders.items.created"
    service = Service(
        "orders",
        project,
        python,
        env={
            "ORDERS_BROKER_URL": url,
            "ORDERS_CHANNEL_PREFIX": prefix,
            "ORDERS_MESSAGE_CONCURRENCY": "32",
            "ORDERS_LOG_LEVEL": "WARNING",
            "ORDERS_ACCESS_LOG": "false",
        },
    )
    service.start()
    points: list[tuple[float, float]] = []
    inbox_ids = 0.0
    try:
        assert service.process is not None
        pid = service.process.pid
        start = resident_mib(pid)
        points.append((0.0, start))
        started = time.perf_counter()
        for published in range(CHUNK, events + CHUNK, CHUNK):
            count = min(CHUNK, events - (published - CHUNK))
            publisher = subprocess.Popen(
                [str(python), str(DRIVER), "--package", "orders", "--url", url,
                 "--prefix", prefix, "--count", str(count)],
                cwd=project,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(project / "src")},
            )  # fmt: skip
            target = min(published, events)
            while True:
                handled = service.metric("messaging_handled_events_total", handler=channel)
                points.append((handled, resident_mib(pid)))
                inbox_ids = max(inbox_ids, service.metric("messaging_inbox_ids"))
                if handled >= target:
                    break
                time.sleep(1.0)
            _, errors = publisher.communicate(timeout=120)
            if publisher.returncode != 0:
                raise RuntimeError(f"publishing failed:\n{errors[-2000:]}")
        elapsed = time.perf_counter() - started
        points.append((float(events), resident_mib(pid)))
    finally:
        service.stop()
        remove_channels(service, url, prefix)
    second_half = [(handled, rss) for handled, rss in points if handled >= events / 2]
    return {
        "events": events,
        "start": start,
        "warm": at(points, WARMUP),
        "half": at(points, events / 2),
        "end": points[-1][1],
        "peak": max(rss for _, rss in points),
        "slope": slope_per_100k(second_half),
        "rate": events / elapsed,
        "inbox_ids": inbox_ids,
    }


def main() -> str:
    python = service_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for broker in BROKERS:
            project = render_checkout(
                Path(tmp) / broker, {"service_name": "orders", "messaging": broker}
            )
            events = EVENTS * (2 if broker in IN_PROCESS_INBOX else 1)
            result = soak(broker, project, python, events)
            met = result["peak"] < LIMIT_MIB and result["slope"] < SLOPE_TARGET
            inbox = f"{result['inbox_ids']:,.0f} ids" if result["inbox_ids"] else "in the broker"
            rows.append(
                f"| {broker} | {result['events']:,.0f} | {result['start']:.1f} "
                f"| {result['warm']:.1f} "
                f"| {result['half']:.1f} | {result['end']:.1f} | {result['peak']:.1f} "
                f"| {result['slope']:+.2f} | {inbox} | {result['rate']:,.0f} "
                f"| {'met' if met else 'NOT met'} |"
            )
    return "\n".join(
        [
            "## Soak: memory under a long stream",
            "",
            f"A generated service run as its own process (`python -m orders`, default "
            f"settings, MESSAGE_CONCURRENCY 32) consumes {EVENTS:,} events from the real "
            f"broker ({2 * EVENTS:,} on RabbitMQ), published by another process in chunks "
            f"of {CHUNK:,}; its resident "
            f"memory (VmRSS, MiB) read every second. Warm-up: the first {WARMUP:,} events "
            "(the example side effect keeps its last 10,000). Slope: least squares of RSS "
            "against events handled over the second half, in MiB per 100,000 events, where "
            "everything the service keeps is full: RabbitMQ's in-process inbox is full at its "
            "INBOX_CAPACITY of 100,000 ids, and its dict's table grows once more about "
            "75,000 ids later (deleted slots fill it), then stays; Redis and NATS keep the "
            f"inbox in the broker. Target: the peak within the Deployment's limit ({LIMIT_MIB} MiB) "
            f"and a slope under {SLOPE_TARGET} MiB per 100,000 events. One run per broker.",
            "",
            "| broker | events | start | after warm-up | at half | end | peak | slope | inbox "
            "| events/s | target |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Measured on this machine ({machine()}); the publisher and the service share "
            "its cores.",
        ]
    )


if __name__ == "__main__":
    print(main())
