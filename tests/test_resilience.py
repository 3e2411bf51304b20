"""The resilience patterns: every subset renders a service that passes its own checks,
and the full stack behaves against a real upstream on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from helpers import assert_ok, render, run_in, run_service_tests
from scaffold.cli.app import app

ALL = ["retry", "circuit-breaker", "bulkhead", "rate-limit", "fallback"]
MODULES = {
    "retry": "retry.py",
    "circuit-breaker": "circuit_breaker.py",
    "bulkhead": "bulkhead.py",
    "rate-limit": "rate_limit.py",
    "fallback": "fallback.py",
}
# All five together: test_all_patterns_against_a_real_upstream...
SUBSETS = [[], *([pattern] for pattern in ALL)]
PROBE = Path(__file__).with_name("resilience_probe.py")


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every rendered service: third-party modules are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def _check_service(project: Path, python: Path, mypy_cache: Path, patterns: list[str]) -> None:
    """The chosen modules and only those; the service's own tests, ruff and mypy pass."""
    package = next((project / "src").iterdir())
    assert (package / "resilience" / "client.py").is_file()  # the outbound client, always
    for pattern, module in MODULES.items():
        assert (package / "resilience" / module).is_file() == (pattern in patterns), module
        assert (project / "tests" / f"test_{module}").is_file() == (pattern in patterns)
    assert (package / "web" / "metrics.py").is_file()  # /metrics in every service
    pyproject = (project / "pyproject.toml").read_text()
    assert ('"stamina' in pyproject) == ("retry" in patterns)
    assert ('"circuitbreaker' in pyproject) == ("circuit-breaker" in patterns)
    assert ('"limits' in pyproject) == ("rate-limit" in patterns)
    assert ('"aiolimiter' in pyproject) == ("rate-limit" in patterns)

    tests = run_service_tests(python, project)
    assert_ok(tests)
    assert " passed" in tests.stdout and "skipped" not in tests.stdout
    assert_ok(run_in(python, project, "ruff", "check", "."))
    assert_ok(run_in(python, project, "mypy", "--cache-dir", str(mypy_cache)))


@pytest.mark.parametrize("patterns", SUBSETS, ids=lambda p: "+".join(p) if p else "none")
def test_each_subset_renders_a_service_that_passes_ruff_mypy_and_its_tests(
    copie: Any, service_python: Path, mypy_cache: Path, patterns: list[str]
) -> None:
    name = "svc-" + ("-".join(patterns) or "none")
    project = render(copie, service_name=name, resilience=patterns)
    _check_service(project, service_python, mypy_cache, patterns)


class _Upstream(ThreadingHTTPServer):
    """A real HTTP upstream that can be told to fail (503), hang, trickle (a byte every
    0.1 s, never silent long enough for a read timeout), or answer (200)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _UpstreamHandler)
        self.mode = "ok"
        self.hits = 0
        self.lock = threading.Lock()
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Upstream

    def do_GET(self) -> None:
        if self.path == "/control/hits":
            self._reply(200, {"hits": self.server.hits})
        else:
            self._serve()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._serve()

    def do_PUT(self) -> None:
        mode = self.path.removeprefix("/control/")
        self.server.mode = mode
        if mode in ("hang", "trickle"):
            self.server.released.clear()
        else:
            self.server.released.set()  # let held calls go
        self._reply(200, {"mode": mode})

    def _serve(self) -> None:
        with self.server.lock:
            self.server.hits += 1
        if self.server.mode == "hang":
            self.server.released.wait(10)
        if self.server.mode == "trickle":
            self._trickle()
            return
        self._reply(503 if self.server.mode == "fail" else 200, {"path": self.path})

    def _trickle(self) -> None:
        """200 at once, then 100 bytes of body, one every 0.1 s (10 s in all)."""
        try:
            self.send_response(200)
            self.send_header("content-length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.flush()
                if self.server.released.wait(0.1):
                    break
                self.wfile.write(b".")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout)
        self.close_connection = True

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


def test_all_patterns_pass_their_checks_then_survive_a_real_upstream_failing_and_recovering(
    copie: Any, service_python: Path, mypy_cache: Path, upstream: _Upstream
) -> None:
    project = render(copie, service_name="svc-real", resilience=ALL)
    _check_service(project, service_python, mypy_cache, ALL)

    result = subprocess.run(
        [str(service_python), str(PROBE), "svc_real", upstream.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )
    assert_ok(result)
    report = json.loads(result.stdout)

    timeouts = ("AttemptTimeout", "ReadTimeout")  # whichever of the two bounds fires first
    assert report["healthy"] == ["200", "200", "200"]
    assert report["hang_outcome"] in timeouts
    assert 0.27 <= report["hang_seconds"] < 1.5  # the 0.3 s timeout (slack for a busy machine)
    # A byte every 0.1 s never trips a read timeout: the attempt's timeout is for all of it.
    assert report["trickle_outcome"] == "AttemptTimeout"
    assert 0.27 <= report["trickle_seconds"] < 1.5
    # A GET is retried, but the call as a whole ends at its deadline (0.5 s).
    assert report["deadline_outcome"] == "DeadlineExceeded"
    assert 0.47 <= report["deadline_seconds"] < 2
    assert report["after_hang"] == "200"

    assert report["failing"][0] == "HTTPStatusError"  # 3 attempts, all 503
    assert report["breaker_state"] == "open"  # 5 consecutive failures
    assert report["open_outcomes"] == ["CircuitOpen"]
    assert report["open_p99_ms"] < 50, report  # fails fast: far below the 300 ms timeout
    assert report["upstream_hits_while_open"] == 0
    assert report["cached_read_while_open"] == "stale"  # the fallback answers

    assert report["recovered"] == ["200"] * 5  # without a restart
    assert report["breaker_state_after"] == "closed"


def test_mio_new_takes_resilience_as_a_comma_separated_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "new",
            "service",
            "orders",
            "--resilience",
            "retry,circuit-breaker",
            "--defaults",
            "--no-git",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "patterns: circuit-breaker, retry" in result.output
    answers = yaml.safe_load((tmp_path / "orders" / ".copier-answers.yml").read_text())
    assert answers["resilience"] == ["retry", "circuit-breaker"]
    resilience = tmp_path / "orders" / "src" / "orders" / "resilience"
    assert (resilience / "circuit_breaker.py").is_file()
    assert not (resilience / "fallback.py").exists()
