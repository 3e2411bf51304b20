"""A generated service at run time: GET requests per second of a service with every pattern
against a bare FastAPI app served the same way (uvicorn with uvloop and httptools), same run.
Target: logging, metrics and middleware together cost at most 10%. Also the service's
resident memory at idle."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from _harness import (
    BIN,
    SERVER_CPU,
    Sample,
    every_pattern,
    free_port,
    on_cpu,
    pattern_flags,
    ratio,
    service_python,
    table,
    verdict,
    wait_for_http,
    wrk,
)

BARE_APP = """
from fastapi import APIRouter, FastAPI

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


routed = FastAPI()
routed.include_router(router)

app = FastAPI()
app.add_api_route("/healthz", healthz)
"""
BASELINE = "bare FastAPI app (route on an APIRouter, as in the service)"
REPEAT = 11
SECONDS = 3
CONNECTIONS = 32
TARGET = 0.90


def serve(
    python: Path, cwd: Path, target: str, port: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    factory = ["--factory"] if target.endswith("create_app") else []
    return subprocess.Popen(
        [str(python), "-m", "uvicorn", target, *factory, "--host", "127.0.0.1",
         "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log"],
        cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=on_cpu(SERVER_CPU),
    )  # fmt: skip


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> str:
    python = service_python()
    answers = every_pattern()
    flags = pattern_flags(answers)
    work = Path(tempfile.mkdtemp())
    try:
        subprocess.run(
            [
                BIN / "mio",
                "new",
                "service",
                "bench",
                "--defaults",
                "--no-git",
                "-o",
                work / "bench",
                *flags,
            ],
            check=True,
            capture_output=True,
        )
        (work / "bare.py").write_text(BARE_APP)
        service_env = {
            "PYTHONPATH": str(work / "bench" / "src"),
            # The inbound rate limit would answer 429 to a load test: lift it.
            "BENCH_INBOUND_RATE_LIMIT": "1000000/second",
            "BENCH_LOG_LEVEL": "INFO",
        }
        target = "bench.app:create_app"
        servers = {
            BASELINE: (work, "bare:routed", {}),
            "bare FastAPI app, route on the app itself": (work, "bare:app", {}),
            "generated service, every pattern": (work / "bench", target, service_env),
            "the same, access log off (ACCESS_LOG=false)": (
                work / "bench",
                target,
                {**service_env, "BENCH_ACCESS_LOG": "false"},
            ),
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        urls: dict[str, str] = {}
        idle: dict[str, float] = {}
        try:
            for label, (cwd, target, env) in servers.items():
                port = free_port()
                processes[label] = serve(python, cwd, target, port, env)
                urls[label] = f"http://127.0.0.1:{port}/healthz"
                wait_for_http(urls[label])
                idle[label] = rss_mib(processes[label].pid)
            runs: dict[str, list[tuple[float, float]]] = {label: [] for label in servers}
            for label in servers:
                wrk(urls[label], CONNECTIONS, SECONDS)  # warm-up
            for _ in range(REPEAT):  # interleaved, so drift in the machine hits both alike
                for label in servers:
                    runs[label].append(wrk(urls[label], CONNECTIONS, SECONDS))
        finally:
            for process in processes.values():
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        results = {
            label: (
                Sample(label, tuple(r for r, _ in runs[label]), "req/s"),
                Sample(label, tuple(p for _, p in runs[label]), "ms"),
                idle[label],
            )
            for label in servers
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = []
    for label, (rps, p99, resident) in results.items():
        r = ratio(rps, results[BASELINE][0])
        if label == BASELINE:
            judged = "baseline"
        elif label.startswith("bare"):
            judged = "reference"
        else:
            judged = verdict(r, TARGET, at_most=False)
        rows.append([label, rps.cell(0), p99.cell(2), f"{r:.2f}", judged, f"{resident:.0f} MiB"])
    chosen = ", ".join(f"{k}={v}" for k, v in answers.items()) or "none"
    return "\n".join(
        [
            "## Generated service at run time",
            "",
            f"`GET /healthz` on a generated service with every pattern ({chosen}) against a bare",
            "FastAPI app with the same route, all on one uvicorn worker (uvloop, httptools)",
            f"pinned to one core, load from wrk (1 thread, {CONNECTIONS} connections, {SECONDS} s)",
            "pinned to the other;",
            f"{REPEAT} interleaved rounds after a warm-up; the ratio is the median of the",
            "per-round ratios (each round ran every app back to back). The service logs every",
            "request as a JSON line (to a discarded stderr) unless `ACCESS_LOG=false` (then the",
            "gateway's access log is the one kept), adds a request id, serves `/metrics` and",
            "checks the body limit.",
            "",
            "The baseline serves its route from an `APIRouter` included in the app, as the service",
            "(and most FastAPI apps) do: since FastAPI 0.165 an included router is dispatched",
            "through a layer of its own per request, a cost of FastAPI's routing rather than of",
            "logging, metrics or middleware. The bare app with the route on the app itself is",
            "shown for reference.",
            f"Target: at least {TARGET:.2f} of the baseline's throughput.",
            "",
            table(["app", "requests/s", "p99 latency", "ratio", "target", "RSS at idle"], rows),
            "",
            "What the rest is: the request-id middleware (take or make an id, set it for log lines,",
            "echo it in a response header) and the access line, a few microseconds of Python each",
            "against the whole request's time in the baseline (1/requests per second). The access",
            "line is already written without a `LogRecord` and in batches (every 0.5 s at least).",
        ]
    )


if __name__ == "__main__":
    print(main())
