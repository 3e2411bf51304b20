"""Publish-to-consume throughput of a generated service on real Redis and NATS, beside
the raw clients (redis-py, nats-py) doing the same work in the same run.

    python bench/bench_messaging.py

Renders a service per broker from this checkout's template, then runs
bench/messaging_worker.py in the Python of the generated services' environment
(`MIO_SERVICE_PYTHON`, default: the test suite's shared environment under .cache/).
Each run publishes COUNT events, CONCURRENCY at a time, and stops the clock when the
last one has been consumed and acknowledged. Prints a markdown section.
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
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "nats": "nats://127.0.0.1:4222"}
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
            rates: dict[str, list[float]] = {"service": [], "raw": []}
            for _ in range(REPEATS):  # interleaved, so both see the same machine load
                for mode in rates:
                    rates[mode].append(one_run(python, project, mode, broker))
            rows.append(
                f"| {broker} | {span(rates['service'])} | {span(rates['raw'])} "
                f"| {paired_ratio(rates['service'], rates['raw']):.2f} |"
            )
    return "\n".join(
        [
            "## messaging",
            "",
            f"Publish-to-consume throughput, messages/s: {COUNT:,} events published "
            f"{CONCURRENCY} at a time, clock stopped when the last one was consumed and "
            f"acknowledged; median (min\N{EN DASH}max) of {REPEATS} interleaved runs; the ratio "
            "is the median of the per-round ratios. "
            "The generated service (FastStream publisher; batch subscriber taking up to 100 "
            "at a time, each event deduplicated and handled, then the batch acknowledged) "
            "against the broker's raw client doing the same work (pydantic event; Redis: one "
            "XACK per batch; NATS: an ack per message).",
            "",
            "| broker | generated service | raw client | ratio |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Python {sys.version.split()[0]}; one process publishes and consumes.",
        ]
    )


if __name__ == "__main__":
    print(main())
