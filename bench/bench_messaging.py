"""Publish-to-consume throughput of a generated service on real Redis, NATS and RabbitMQ,
beside the raw clients (redis-py, nats-py, aio-pika) doing the same work, deduplication
included, in the same run.

    python bench/bench_messaging.py

Renders a service per broker from this checkout's template, then runs
bench/messaging_worker.py in the Python of the generated services' environment
(`MIO_SERVICE_PYTHON`, default: the test suite's shared environment under .cache/).
Each run publishes COUNT events, CONCURRENCY at a time, and stops the clock when the
last one has been consumed and acknowledged. A third column runs the raw client's work
through a bare FastStream broker, so the gap splits into FastStream's own cost and the
cost of what the service adds on it. Prints a markdown section.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import paired_ratio, render_checkout, service_python

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).with_name("messaging_worker.py")
BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "nats": "nats://127.0.0.1:4222",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
}
TARGET = 0.8
COUNT = 5_000
CONCURRENCY = 64
REPEATS = 5


def render(broker: str, destination: Path) -> Path:
    return render_checkout(destination / broker, {"service_name": "orders", "messaging": broker})


def one_run(python: Path, project: Path, mode: str, broker: str) -> float:
    result = subprocess.run(
        [str(python), str(WORKER), mode, broker, BROKERS[broker], str(COUNT), str(CONCURRENCY)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{mode} {broker} failed:\n{result.stderr[-2000:]}")
    rate: float = json.loads(result.stdout.strip().splitlines()[-1])["rate"]
    return rate


def span(rates: list[float]) -> str:
    """Median (min to max), as the other benchmark sections print it."""
    low, high = min(rates), max(rates)
    return f"{statistics.median(rates):,.0f} ({low:,.0f}\N{EN DASH}{high:,.0f})"


def main() -> str:
    python = service_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for broker in BROKERS:
            project = render(broker, Path(tmp))
            rates: dict[str, list[float]] = {"service": [], "faststream": [], "raw": []}
            for _ in range(REPEATS):  # interleaved, so all see the same machine load
                for mode in rates:
                    rates[mode].append(one_run(python, project, mode, broker))
            ratio = paired_ratio(rates["service"], rates["raw"])
            library = paired_ratio(rates["faststream"], rates["raw"])
            layers = paired_ratio(rates["service"], rates["faststream"])
            verdict = "met" if ratio >= TARGET else "NOT met"
            rows.append(
                f"| {broker} | {span(rates['service'])} | {span(rates['faststream'])} "
                f"| {span(rates['raw'])} | {ratio:.2f} | {library:.2f} | {layers:.2f} "
                f"| {verdict} |"
            )
    return "\n".join(
        [
            "## messaging",
            "",
            f"Publish-to-consume throughput, messages/s: {COUNT:,} events published "
            f"{CONCURRENCY} at a time, clock stopped when the last one was consumed and "
            f"acknowledged; median (min\N{EN DASH}max) of {REPEATS} interleaved runs; the ratio "
            "is the median of the per-round ratios. "
            "The generated service (FastStream publisher; subscriber taking batches of up to "
            "100 on Redis and NATS, prefetch 1 on RabbitMQ; each event deduplicated in the "
            "inbox and handled, then acknowledged) against the broker's raw client doing the "
            "same work: pydantic event; the same inbox operations (Redis: SET NX PX, then SET "
            "done; NATS: key-value create, then put, and Nats-Msg-Id on publish; RabbitMQ: "
            "the in-process inbox); Redis: one XACK per batch; NATS and RabbitMQ: an ack per "
            f"message. Target: at least {TARGET}x. "
            "The bare FastStream column does the raw client's work through FastStream with "
            "the service's subscriber options and no middlewares or logger: *FastStream / "
            "raw* is the library's own cost, *service / FastStream* the cost of what the "
            "service adds on it (Prometheus and OpenTelemetry middlewares, per-event spans, "
            "the handler's claim, retries and metrics).",
            "",
            "| broker | generated service | bare FastStream | raw client "
            "| service / raw | FastStream / raw | service / FastStream | target |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Python {sys.version.split()[0]}; one process publishes and consumes.",
        ]
    )


if __name__ == "__main__":
    print(main())
