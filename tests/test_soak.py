"""Memory stays flat under a long stream of events: a generated service, run as its owners
run it (its own process, on the real RabbitMQ, whose inbox is the bounded one in the
process), consumes many times its INBOX_CAPACITY of events; its in-process inbox never
holds more than INBOX_CAPACITY ids, and its resident memory does not grow from the first
half of the stream to the second. Not timed: bench/bench_soak.py measures a longer soak.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from running import BROKER_URLS, Service, remove_channels

from helpers import render

DRIVER = Path(__file__).with_name("soak_driver.py")
CAPACITY = 500
HALF = 15_000  # events per half: past the example's 10,000 kept events, 30x the inbox
# An inbox that kept every id would grow by about 2.6 MiB over the second half (176
# bytes an id, measured; 2.8 MiB when the bound was taken out), the example's log of
# events by about 11 MiB if it kept them all; a bounded service grows by well under
# 0.1 MiB here.
GROWTH_BOUND_MIB = 1.5


def resident_mib(pid: int) -> float:
    """The process's resident memory (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def publish(service: Service, url: str, prefix: str, count: int) -> subprocess.Popen[str]:
    """Start publishing `count` events to the service's channel, from another process."""
    return subprocess.Popen(
        [str(service.python), str(DRIVER), "--package", "orders", "--url", url,
         "--prefix", prefix, "--count", str(count)],
        cwd=service.project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(service.project / "src")},
    )  # fmt: skip


def consume(service: Service, publisher: subprocess.Popen[str], channel: str, until: int) -> int:
    """Wait until `until` events were handled, reading the inbox's size all along; the
    largest size read."""
    largest = 0
    deadline = time.monotonic() + 120
    while service.metric("messaging_handled_events_total", handler=channel) < until:
        largest = max(largest, int(service.metric("messaging_inbox_ids")))
        assert publisher.poll() in (None, 0), publisher.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"not all handled in time\n{service.tail()}"
        time.sleep(0.2)
    _, errors = publisher.communicate(timeout=60)
    assert publisher.returncode == 0, errors[-3000:]
    return max(largest, int(service.metric("messaging_inbox_ids")))


def test_a_long_stream_keeps_the_inbox_bounded_and_memory_flat(
    copie: Any, service_python: Path
) -> None:
    project = render(copie, messaging="rabbitmq")
    url = BROKER_URLS["rabbitmq"]
    prefix = f"soak{uuid.uuid4().hex[:8]}."
    channel = f"{prefix}orders.items.created"
    service = Service(
        "orders",
        project,
        service_python,
        env={
            "ORDERS_BROKER_URL": url,
            "ORDERS_CHANNEL_PREFIX": prefix,
            "ORDERS_INBOX_CAPACITY": str(CAPACITY),
            "ORDERS_MESSAGE_CONCURRENCY": "32",
            "ORDERS_LOG_LEVEL": "WARNING",
            "ORDERS_ACCESS_LOG": "false",
        },
    )
    service.start()
    try:
        assert service.process is not None
        largest = consume(service, publish(service, url, prefix, HALF), channel, HALF)
        after_first_half = resident_mib(service.process.pid)
        largest = max(
            largest, consume(service, publish(service, url, prefix, HALF), channel, 2 * HALF)
        )
        after_second_half = resident_mib(service.process.pid)
    finally:
        service.stop()
        remove_channels(service, url, prefix)
    assert largest == CAPACITY  # filled, never past its bound
    growth = after_second_half - after_first_half
    assert growth < GROWTH_BOUND_MIB, (
        f"resident memory grew by {growth:.1f} MiB over the second half of the stream "
        f"({after_first_half:.1f} -> {after_second_half:.1f} MiB)"
    )
