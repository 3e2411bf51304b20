"""Overhead of the whole outbound policy stack on a successful call.

Renders a service with every resilience pattern, then, in that service's environment,
calls a local upstream (another process, 127.0.0.1, keep-alive) two ways in the same
run: a bare httpx.AsyncClient, and the service's UpstreamClient with fallback, bulkhead,
retry, rate limit and circuit breaker. The same pair runs again on httpx's MockTransport
(no network) to show the policies' own cost. Rounds alternate the order within a pair.

    python bench/bench_resilience.py

The service's dependencies come from MIO_SERVICE_PYTHON, else the test suite's shared
environment (.cache/service-venv, built by running the tests once).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import render_checkout, service_python

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 30
CALLS = 200
ALL = ["retry", "circuit-breaker", "bulkhead", "rate-limit", "fallback"]

UPSTREAM = """
import asyncio, sys
BODY = b'{"ok":true}'
RESPONSE = (b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: "
            + str(len(BODY)).encode() + b"\\r\\n\\r\\n" + BODY)
async def serve(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\\r\\n\\r\\n")
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""

INNER = """
import asyncio, json, sys, time
import httpx
from svc_bench.resilience.client import UpstreamClient
from svc_bench.settings import Settings

url, rounds, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

async def timed(get):
    for _ in range(20):
        await get("/item")
    started = time.perf_counter()
    for _ in range(calls):
        await get("/item")
    return (time.perf_counter() - started) / calls

async def main():
    settings = Settings(_env_file=None, gateway_url=url, outbound_rate_limit_per_second=1e9,
                        bulkhead_max_concurrent=1000)
    stack = UpstreamClient.from_settings(settings)
    bare = httpx.AsyncClient(base_url=url, timeout=settings.outbound_timeout_seconds)
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    no_policies = UpstreamClient(url, settings.outbound_timeout_seconds, mock, policies=[])
    plain = UpstreamClient(url, settings.outbound_timeout_seconds, policies=[])
    all_policies = UpstreamClient.from_settings(settings, transport=mock)

    async def bare_get(path):
        response = await bare.get(path)
        response.raise_for_status()
        return response

    pairs = {"real": [("bare", bare_get), ("plain", plain.get), ("stack", stack.get)],
             "memory": [("none", no_policies.get), ("all", all_policies.get)]}
    results = {name: [] for pair in pairs.values() for name, _ in pair}
    results["policies"] = [type(p).__name__ for p in stack.policies]
    for n in range(rounds):
        for pair in pairs.values():
            shift = n % len(pair)
            for name, get in pair[shift:] + pair[:shift]:
                results[name].append(await timed(get))
    for client in (stack, bare, plain, no_policies, all_policies):
        await client.aclose()
    print(json.dumps(results))

asyncio.run(main())
"""


def measure() -> dict[str, list[float]]:
    python = service_python()
    workdir = Path(tempfile.mkdtemp(prefix="bench-resilience-"))
    upstream = subprocess.Popen([str(python), "-c", UPSTREAM], stdout=subprocess.PIPE, text=True)
    try:
        render_checkout(workdir / "svc", {"service_name": "svc-bench", "resilience": ALL})
        assert upstream.stdout is not None
        port = int(upstream.stdout.readline())
        result = subprocess.run(
            [str(python), "-c", INNER, f"http://127.0.0.1:{port}", str(ROUNDS), str(CALLS)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(workdir / "svc" / "src")},
        )
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        upstream.terminate()
        upstream.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _row(label: str, times: list[float], base: float) -> str:
    median = statistics.median(times)
    spread = f"{min(times) * 1e6:.1f}-{max(times) * 1e6:.1f} µs"
    return f"| {label} | {median * 1e6:.1f} µs | {spread} | {median / base:.2f} |"


def _paired_overhead(with_policies: list[float], baseline: list[float]) -> float:
    """Median of the per-round differences: each pair ran back to back, under the same load."""
    return statistics.median(a - b for a, b in zip(with_policies, baseline, strict=True)) * 1e6


def main() -> str:
    data = measure()
    bare = statistics.median(data["bare"])
    none = statistics.median(data["none"])
    real_overhead = _paired_overhead(data["stack"], data["bare"])
    memory_overhead = _paired_overhead(data["all"], data["none"])
    lines = [
        "## Resilience",
        "",
        f"Overhead of the whole outbound policy stack ({' > '.join(data['policies'])} > timeout)"
        " on a successful GET. Same run, "
        f"{ROUNDS} rounds of {CALLS} sequential calls per client, rotating which goes first;"
        " medians of the per-round mean time per call, min-max over rounds, and the overhead as"
        " the median of the per-round differences (each pair ran back to back).",
        "",
        "Against a real upstream (another process on 127.0.0.1, HTTP/1.1 keep-alive):",
        "",
        "| Client | Time per call | Min-max | Ratio |",
        "|---|---|---|---|",
        _row("bare `httpx.AsyncClient`", data["bare"], bare),
        _row("`UpstreamClient`, no policies", data["plain"], bare),
        _row("`UpstreamClient`, all five policies", data["stack"], bare),
        "",
        f"Overhead: {real_overhead:.1f} µs per call ({real_overhead / (bare * 1e6) * 100:.1f}%);"
        " target: at most 10% or 100 µs per call.",
        "",
        "The policies alone (httpx `MockTransport`, no network), which the noise of a real"
        " round trip hides:",
        "",
        "| Client | Time per call | Min-max | Ratio |",
        "|---|---|---|---|",
        _row("`UpstreamClient`, no policies", data["none"], none),
        _row("`UpstreamClient`, all five policies", data["all"], none),
        "",
        f"Overhead: {memory_overhead:.1f} µs per call.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(print(main()))
