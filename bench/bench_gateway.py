"""Cost of the generated nginx gateway: a GET on a generated service, directly and through nginx.

One service (made as `mio new service` makes it) runs under uvicorn; `mio gateway build`
writes the nginx configuration in front of it; wrk measures requests per second and p99
latency of `GET /healthz` directly and through the gateway, alternating the two in
each round so both see the same machine. Prints a markdown section with medians,
min-max and the ratios against the direct baseline.

The route's rate limit is raised for the run (one load generator is one client
address, which the shipped limit of 100 r/s per address would throttle); everything
else is the configuration mio writes.

Needs wrk (Debian: `apt-get install wrk`), nginx, and a Python with the generated
services' dependencies: MIO_SERVICE_PYTHON, or the test suite's `.cache/service-venv`.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _harness import service_python, wrk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
TARGET_RATIO = 0.9
TARGET_ADDED_P99_MS = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):,.2f} ({min(values):,.2f} to {max(values):,.2f})"


def measure(work: Path) -> dict[str, list[float]]:
    from scaffold.answers import validate_answers
    from scaffold.gateway import build_fleet
    from scaffold.generate import create_service

    services = work / "services"
    project = create_service(
        validate_answers({"service_name": "orders", "gateway": "nginx"}),
        services / "orders",
        git_init=False,
    ).path
    route = project / "deploy" / "route.yaml"
    route.write_text(
        route.read_text()
        .replace("rate_per_second: 100", "rate_per_second: 10000000")
        .replace("burst: 200", "burst: 10000000")
    )
    port, listen = _free_port(), _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "ORDERS_PORT": str(port),
        "ORDERS_ROOT_PATH": "/api/orders",
        "ORDERS_LOG_LEVEL": "WARNING",
    }
    output = work / "gateway"
    build_fleet(
        [services], "nginx", output, listen_port=listen, upstreams={"orders": ("127.0.0.1", port)}
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    processes = [
        subprocess.Popen(
            [str(service_python()), "-m", "orders"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                nginx,
                "-p",
                str(output),
                "-c",
                str(output / "nginx.conf"),
                "-e",
                str(output / "error.log"),
                "-g",
                f"pid {output / 'nginx.pid'}; daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    direct = f"http://127.0.0.1:{port}/healthz"
    through = f"http://127.0.0.1:{listen}/api/orders/healthz"
    results: dict[str, list[float]] = {
        "direct_rps": [],
        "direct_p99": [],
        "gateway_rps": [],
        "gateway_p99": [],
    }
    try:
        _wait(direct, processes[0])
        _wait(through, processes[1])
        wrk(direct, CONNECTIONS, SECONDS), wrk(through, CONNECTIONS, SECONDS)  # warm-up
        for _ in range(ROUNDS):
            for name, url in (("direct", direct), ("gateway", through)):
                rps, p99 = wrk(url, CONNECTIONS, SECONDS)
                results[f"{name}_rps"].append(rps)
                results[f"{name}_p99"].append(p99)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    return results


def main() -> str:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as work:
        r = measure(Path(work))
    load_after = os.getloadavg()[0]
    ratios = [g / d for g, d in zip(r["gateway_rps"], r["direct_rps"], strict=True)]
    added = [g - d for g, d in zip(r["gateway_p99"], r["direct_p99"], strict=True)]
    ratio, extra = statistics.median(ratios), statistics.median(added)
    verdict = (
        f"throughput ratio {ratio:.2f} (target ≥ {TARGET_RATIO}): "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}; "
        f"added p99 {extra:.2f} ms (target ≤ {TARGET_ADDED_P99_MS:g} ms): "
        f"{'met' if extra <= TARGET_ADDED_P99_MS else 'NOT met'}"
    )
    return "\n".join(
        [
            "## gateway",
            "",
            f"`GET /healthz` on a generated service (uvicorn, one process), directly and through the "
            f"nginx configuration `mio gateway build` writes (upstream keep-alive), measured with wrk "
            f"(1 thread, {CONNECTIONS} connections, {SECONDS} s per run, {ROUNDS} rounds alternating "
            f"direct and gateway after one warm-up each; {os.cpu_count()} CPUs shared by wrk, nginx "
            f"and the service; 1-minute load average {load_before:.1f} before, {load_after:.1f} "
            f"after). Median (min to max) over the rounds.",
            "",
            "| Path | Requests/s | p99 latency (ms) |",
            "|---|---|---|",
            f"| direct | {_summary(r['direct_rps'])} | {_summary(r['direct_p99'])} |",
            f"| through nginx | {_summary(r['gateway_rps'])} | {_summary(r['gateway_p99'])} |",
            f"| gateway / direct | {_summary(ratios)} | +{_summary(added)} |",
            "",
            f"Result: {verdict}.",
            "",
        ]
    )


if __name__ == "__main__":
    print(main())
