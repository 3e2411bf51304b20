"""A generated service run as its owners run it (`python -m <package>`, real uvicorn, a real
broker): every line it writes is one JSON object, and one request's trace and request ids
reach the log lines of the HTTP side and of the consumer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from running import BROKER_URLS, call, free_port

from helpers import render

DRIVER = Path(__file__).with_name("messaging_driver.py")

TRACE_ID = uuid.uuid4().hex
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def wait_ready(base: str, process: subprocess.Popen[bytes], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited at start-up"
        try:
            if call("GET", f"{base}/readyz", timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service never became ready")


def run_service(project: Path, python: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Start the service, POST one item with a trace, stop it with SIGTERM; its stderr lines."""
    port = free_port()
    process = subprocess.Popen(
        [str(python), "-m", "orders"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src"), "ORDERS_PORT": str(port), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        created, _, _ = call(
            "POST",
            f"{base}/items",
            b'{"name": "traced"}',
            {
                "content-type": "application/json",
                "traceparent": TRACEPARENT,
                "X-Request-ID": "trace-me",
            },
        )
        assert created == 201
        assert call("GET", f"{base}/nowhere")[0] == 404
        time.sleep(1.5)  # the consumer handles the event
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert stdout == b""
    return process.returncode, stderr.decode().splitlines()


def parsed(lines: list[str]) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        assert "\x1b[" not in line, f"an ANSI-coloured line: {line!r}"
        records.append(json.loads(line))  # a plain-text line fails here
    return records


@pytest.mark.parametrize("broker", sorted(BROKER_URLS))
def test_every_line_is_json_and_one_trace_runs_through_http_and_the_broker(
    copie: Any, service_python: Path, broker: str
) -> None:
    project = render(copie, messaging=broker, resilience=["retry", "circuit-breaker"])
    prefix = f"test-{uuid.uuid4().hex[:8]}."
    url = BROKER_URLS[broker]
    try:
        code, lines = run_service(
            project, service_python, {"ORDERS_BROKER_URL": url, "ORDERS_CHANNEL_PREFIX": prefix}
        )
    finally:  # leave nothing on the shared broker
        subprocess.run(
            [
                str(service_python),
                str(DRIVER),
                "clean",
                "--package",
                "orders",
                "--url",
                url,
                "--prefix",
                prefix,
            ],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project / "src")},
            capture_output=True,
            check=True,
            timeout=60,
        )
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    records = parsed(lines)
    traced = [record for record in records if record.get("trace_id") == TRACE_ID]
    events = {record["event"] for record in traced}
    assert "request finished" in events  # uvicorn's access line, as fields
    assert "item created" in events  # the consumer's side effect, in the same trace
    assert all(record.get("request_id") == "trace-me" for record in traced)
    access = [record for record in records if record["event"] == "request finished"]
    assert {(record["method"], record["path"], record["status"]) for record in access} >= {
        ("POST", "/items", 201),
        ("GET", "/nowhere", 404),
    }
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers


def test_a_service_without_a_broker_logs_json_from_start_to_stop(
    copie: Any, service_python: Path
) -> None:
    project = render(copie)
    code, lines = run_service(project, service_python, {})
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    records = parsed(lines)
    assert any(record["event"].startswith("Started server process") for record in records)
    assert any(record["event"] == "Shutting down" for record in records)
