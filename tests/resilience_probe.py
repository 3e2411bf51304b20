"""Drive a generated service's outbound client against a real upstream; print a JSON report.

Run with the generated service's environment (its package on PYTHONPATH):
    python resilience_probe.py PACKAGE UPSTREAM_URL
The upstream obeys PUT /control/<mode> (ok, fail, hang, trickle) and GET /control/hits.
tests/test_resilience.py starts it and reads the report.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from typing import Any

import httpx

RECOVERY_SECONDS = 1.0
TIMEOUT_SECONDS = 0.3
DEADLINE_SECONDS = 0.5


async def probe(package: str, url: str) -> dict[str, Any]:
    settings_module = importlib.import_module(f"{package}.settings")
    outbound = importlib.import_module(f"{package}.resilience.client")
    # The service's own JSON logs, on stderr: stdout carries the report alone.
    importlib.import_module(f"{package}.web.logs").configure_logging("WARNING")
    settings = settings_module.Settings(
        _env_file=None,
        gateway_url=url,
        outbound_timeout_seconds=TIMEOUT_SECONDS,
        outbound_deadline_seconds=DEADLINE_SECONDS,
        breaker_failure_threshold=5,
        breaker_recovery_seconds=RECOVERY_SECONDS,
        retry_wait_initial_seconds=0.001,
        retry_wait_max_seconds=0.005,
        retry_wait_jitter_seconds=0.001,
        outbound_rate_limit_per_second=1_000_000,
    )
    client = outbound.UpstreamClient.from_settings(settings)
    # One attempt, no policy: what a single attempt's timeout does (writes are retried too,
    # since each carries an Idempotency-Key).
    single = outbound.UpstreamClient(
        url, TIMEOUT_SECONDS, None, policies=[], deadline_seconds=DEADLINE_SECONDS
    )
    breaker = next(p for p in client.policies if type(p).__name__ == "CircuitBreaker")
    control = httpx.AsyncClient(base_url=url)
    report: dict[str, Any] = {}

    async def mode(name: str) -> None:
        (await control.put(f"/control/{name}")).raise_for_status()

    async def hits() -> int:
        return int((await control.get("/control/hits")).json()["hits"])

    async def outcome(method: str, path: str, through: Any = client) -> str:
        try:
            response = await through.request(method, path, json={} if method == "POST" else None)
        except Exception as exc:
            return type(exc).__name__
        return "stale" if response.headers.get("x-fallback") else str(response.status_code)

    await mode("ok")
    report["healthy"] = [await outcome("GET", "/catalog") for _ in range(3)]

    await mode("hang")
    started = time.perf_counter()
    report["hang_outcome"] = await outcome("POST", "/orders", single)
    report["hang_seconds"] = time.perf_counter() - started

    await mode("trickle")
    started = time.perf_counter()
    report["trickle_outcome"] = await outcome("POST", "/orders", single)
    report["trickle_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    report["deadline_outcome"] = await outcome("GET", "/fresh/trickle")  # retried, no fallback
    report["deadline_seconds"] = time.perf_counter() - started
    # 2 failures in a row so far (the deadline's attempts), short of opening the breaker:
    # a success resets them.
    await mode("ok")
    report["after_hang"] = await outcome("GET", "/catalog")

    await mode("fail")
    report["failing"] = [await outcome("GET", f"/fresh/{n}") for n in range(3)]
    report["breaker_state"] = breaker.state
    hits_when_open = await hits()
    latencies = []
    open_outcomes = set()
    for n in range(2000):
        started = time.perf_counter()
        open_outcomes.add(await outcome("GET", f"/fresh/open-{n}"))
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    report["open_outcomes"] = sorted(open_outcomes)
    report["open_p50_ms"] = latencies[len(latencies) // 2] * 1000
    report["open_p99_ms"] = latencies[int(len(latencies) * 0.99) - 1] * 1000
    report["upstream_hits_while_open"] = await hits() - hits_when_open
    report["cached_read_while_open"] = await outcome("GET", "/catalog")

    await mode("ok")
    await asyncio.sleep(RECOVERY_SECONDS + 0.1)  # the real cool-down: nothing is restarted
    report["recovered"] = [await outcome("GET", f"/fresh/back-{n}") for n in range(5)]
    report["breaker_state_after"] = breaker.state
    await client.aclose()
    await single.aclose()
    await control.aclose()
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], sys.argv[2]))))
