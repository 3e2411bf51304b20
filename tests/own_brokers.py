"""Broker processes of a test's own, on free ports with their own data folders.

Crash tests kill brokers; the machine's shared servers are never touched. Each broker
keeps its data across a kill -9 and a restart, as a production one would:

- Redis with append-only persistence (`--appendonly yes`; a process kill keeps what was
  written to the file, only a machine crash would need `appendfsync always`);
- NATS with JetStream and its own store folder;
- RabbitMQ as a second node of its own (name, ports, database folder), without plugins.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from running import free_port

RABBITMQ_SCRIPT_GLOB = "/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class OwnBroker:
    """One broker process: `kill()` is kill -9, `start()` brings it back on the same port."""

    kind: str
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return {
            "redis": f"redis://127.0.0.1:{self.port}/0",
            "nats": f"nats://127.0.0.1:{self.port}",
            "rabbitmq": f"amqp://guest:guest@127.0.0.1:{self.port}/",
        }[self.kind]

    def _command(self) -> tuple[list[str], dict[str, str]]:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        if self.kind == "redis":
            command = [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--appendonly", "yes", "--dir", str(data), "--save", "",
            ]  # fmt: skip
            return command, {}
        if self.kind == "nats":
            command = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port)]
            return [*command, "-sd", str(data)], {}
        return self._rabbitmq()

    def _rabbitmq(self) -> tuple[list[str], dict[str, str]]:
        scripts = sorted(Path("/").glob(RABBITMQ_SCRIPT_GLOB.lstrip("/")))
        assert scripts, "the rabbitmq-server package is not installed"
        if "dist" not in self._extra:
            self._extra["dist"] = str(free_port())
        node = f"mio{self.port}@localhost"
        config = self.folder / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users.guest = false\n"
        )
        plugins = self.folder / "enabled_plugins"
        plugins.write_text("[].\n")
        cookie = self.folder / ".erlang.cookie"  # the node's own, for `rabbitmqctl()`
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(16))
            cookie.chmod(0o400)
        env = {
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": self._extra["dist"],
            "RABBITMQ_MNESIA_BASE": str(self.folder / "data"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_PID_FILE": str(self.folder / "rabbitmq.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
            "RABBITMQ_CONFIG_FILE": str(config.with_suffix("")),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "HOME": str(self.folder),
        }
        return [str(scripts[-1])], env

    def start(self, within: float = 60) -> None:
        command, env = self._command()
        log = (self.folder / f"{self.kind}.out").open("ab")
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + within
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"own {self.kind} did not start:\n{self.output()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9 every process of the broker (RabbitMQ's script runs beam.smp under it)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        deadline = time.monotonic() + 10
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def rabbitmqctl(self, *args: str) -> str:
        """`rabbitmqctl` against this node (its name and cookie); its output."""
        cookie = (self.folder / ".erlang.cookie").read_text()
        node = f"mio{self.port}@localhost"
        command = ["rabbitmqctl", "--erlang-cookie", cookie, "-n", node, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def output(self) -> str:
        path = self.folder / f"{self.kind}.out"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextmanager
def own_broker(kind: str, folder: Path) -> Iterator[OwnBroker]:
    """A broker of the test's own, killed (process group) and its folder removed at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    broker = OwnBroker(kind, folder)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()
        shutil.rmtree(folder, ignore_errors=True)
