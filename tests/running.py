"""Generated services run as their owners run them (`python -m <package>` under uvicorn),
for the tests of several services together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BROKER_URLS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
    "nats": "nats://127.0.0.1:4222",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def call(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of one request (errors included)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers_ = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers_, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def eventually(condition: object, within: float = 20, message: str = "") -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(message or "condition not met in time")
        time.sleep(0.1)


def env_prefix(name: str) -> str:
    return name.replace("-", "_").upper() + "_"


def package(name: str) -> str:
    return name.replace("-", "_")


@dataclass
class Service:
    """One generated service running under uvicorn; its log lines go to `log`."""

    name: str
    project: Path
    python: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    replica: str = ""  # replicas of one project write logs of their own

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        suffix = f"-{self.replica}" if self.replica else ""
        return self.project.parent / f"{self.project.name}{suffix}.log"

    def start(self, *, ready: bool = True) -> None:
        prefix = env_prefix(self.name)
        env = {
            **os.environ,
            "PYTHONPATH": str(self.project / "src"),
            f"{prefix}PORT": str(self.port),
            **self.env,
        }
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [str(self.python), "-m", package(self.name)],
                cwd=self.project,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self.wait("/readyz" if ready else "/healthz")

    def wait(self, path: str, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.tail()
            try:
                if call("GET", self.base + path, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name}{path} never answered 200\n{self.tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def metric(self, name: str, **labels: str) -> float:
        """One sample of the service's /metrics (0 when absent)."""
        text = call("GET", self.base + "/metrics")[2].decode()
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
                sample, _, value = line.rpartition(" ")
                got = sample[len(name) :].strip("{}")
                parts = ",".join(sorted(got.split(","))) if got else ""
                if parts == wanted:
                    return float(value)
        return 0.0

    def metric_labels(self, name: str) -> list[str]:
        text = call("GET", self.base + "/metrics")[2].decode()
        return [line for line in text.splitlines() if line.startswith(f"{name}{{")]


def remove_channels(service: Service, url: str, prefix: str) -> None:
    """What the service made on the broker under `prefix`, removed by its own code."""
    name = package(service.name)
    script = (
        "import asyncio\n"
        f"from {name}.messaging.runtime import remove_channels\n"
        f"from {name}.settings import Settings\n"
        f"asyncio.run(remove_channels(Settings(_env_file=None, broker_url={url!r}, "
        f"channel_prefix={prefix!r})))\n"
    )
    subprocess.run(
        [str(service.python), "-c", script],
        cwd=service.project,
        env={**os.environ, "PYTHONPATH": str(service.project / "src")},
        capture_output=True,
        check=True,
        timeout=60,
    )


@contextmanager
def running(*services: Service) -> Iterator[tuple[Service, ...]]:
    try:
        for service in services:
            service.start()
        yield services
    finally:
        for service in reversed(services):
            service.stop()
