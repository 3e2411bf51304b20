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


#: Each column: the worker's mode and the environment it runs with. "untraced" is the
#: generated service with tracing turned off by OpenTelemetry's standard switch.
MODES = {
    "service": ("service", {}),
    "untraced": ("service", {"OTEL_SDK_DISABLED": "true"}),
    "unmetered": ("service", {"OTEL_SDK_DISABLED": "true", "BENCH_LEAVE_OUT": "broker-metrics"}),
    "faststream": ("faststream", {}),
    "raw": ("raw", {}),
}


def inherited_environment() -> dict[str, str]:
    """This process's environment without the switches the columns set themselves."""
    switches = {name for _, env in MODES.values() for name in env}
    return {name: value for name, value in os.environ.items() if name not in switches}


def one_run(python: Path, project: Path, column: str, broker: str) -> float:
    mode, env = MODES[column]
    result = subprocess.run(
        [str(python), str(WORKER), mode, broker, BROKERS[broker], str(COUNT), str(CONCURRENCY)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**inherited_environment(), "PYTHONPATH": str(project / "src"), **env},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{column} {broker} failed:\n{result.stderr[-2000:]}")
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
            rates: dict[str, list[float]] = {column: [] for column in MODES}
            for _ in range(REPEATS):  # interleaved, so all see the same machine load
                for column in rates:
                    rates[column].append(one_run(python, project, column, broker))
            ratio = paired_ratio(rates["service"], rates["raw"])
            untraced = paired_ratio(rates["untraced"], rates["raw"])
            library = paired_ratio(rates["faststream"], rates["raw"])
            tracing = paired_ratio(rates["service"], rates["untraced"])
            metrics = paired_ratio(rates["untraced"], rates["unmetered"])
            rest = paired_ratio(rates["unmetered"], rates["faststream"])
            verdict = "met" if ratio >= TARGET else "NOT met"
            rows.append(
                f"| {broker} | {span(rates['service'])} | {span(rates['untraced'])} "
                f"| {span(rates['unmetered'])} | {span(rates['faststream'])} "
                f"| {span(rates['raw'])} | **{ratio:.2f}** | {untraced:.2f} | {tracing:.2f} "
                f"| {metrics:.2f} | {rest:.2f} | {library:.2f} | {verdict} |"
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
            "The columns between price each layer, in the same rounds: *untraced* is the "
            "service with tracing turned off by OpenTelemetry's standard switch "
            "(`OTEL_SDK_DISABLED=true`: no FastStream tracing middleware, no per-event "
            "spans); *unmetered* is that without FastStream's Prometheus middleware too (a "
            "bench-only patch: the service has no switch for it); *bare FastStream* does "
            "the raw client's work through FastStream with the service's subscriber options "
            "and no middlewares or logger. Each ratio after the target's is one layer: "
            "*tracing* = service / untraced, *broker metrics* = untraced / unmetered, *the "
            "rest* (FastStream's logging middleware, the handler's claim, retries, metrics, "
            "request id and the example's log line) = unmetered / bare FastStream, *FastStream* "
            "= bare FastStream / raw. The target is judged on the service as generated.",
            "",
            "| broker | generated service | untraced | unmetered | bare FastStream "
            "| raw client | service / raw | untraced / raw | tracing | broker metrics "
            "| the rest | FastStream | target |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Python {sys.version.split()[0]}; one process publishes and consumes.",
        ]
    )


if __name__ == "__main__":
    print(main())
