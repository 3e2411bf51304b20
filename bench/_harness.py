"""Shared measuring and reporting for the benchmarks in this folder.

Every figure is a median over repeated runs with its min-max, and every target is a
ratio against a baseline measured in the same run, on the same machine.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one thing, in the unit given."""

    label: str
    values: tuple[float, ...]
    unit: str

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, digits: int = 3) -> str:
        low, high = min(self.values), max(self.values)
        return f"{self.median:.{digits}f} {self.unit} ({low:.{digits}f}–{high:.{digits}f})"


def time_call(label: str, action: Callable[[], object], repeat: int, warmup: int = 1) -> Sample:
    """Wall time of ``action`` in seconds, ``repeat`` times after ``warmup`` runs."""
    for _ in range(warmup):
        action()
    values = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        values.append(time.perf_counter() - started)
    return Sample(label, tuple(values), "s")


def time_command(
    label: str, argv: Sequence[str | Path], repeat: int, cwd: Path | None = None, warmup: int = 1
) -> Sample:
    """Wall time of a command run to completion (output discarded)."""

    def run() -> None:
        subprocess.run([str(a) for a in argv], cwd=cwd, check=True, capture_output=True)

    return time_call(label, run, repeat, warmup)


def interleaved(samples: dict[str, Callable[[], object]], repeat: int) -> dict[str, Sample]:
    """Time several actions alternately, so drift in the machine hits all of them alike."""
    values: dict[str, list[float]] = {label: [] for label in samples}
    for action in samples.values():
        action()  # warm-up
    for _ in range(repeat):
        for label, action in samples.items():
            started = time.perf_counter()
            action()
            values[label].append(time.perf_counter() - started)
    return {label: Sample(label, tuple(v), "s") for label, v in values.items()}


def command(argv: Sequence[str | Path], cwd: Path | None = None) -> Callable[[], None]:
    def run() -> None:
        subprocess.run([str(a) for a in argv], cwd=cwd, check=True, capture_output=True)

    return run


def ratio(sample: Sample, baseline: Sample) -> float:
    return paired_ratio(sample.values, baseline.values)


def paired_ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-round ratios of two interleaved series.

    Each round measured both back to back, so pairing them cancels the machine's slow
    drifts (another process, a busy disk), which a ratio of medians keeps. A round whose
    baseline measured nothing (its load generator failed) is left out.
    """
    pairs = [(mine, base) for mine, base in zip(values, baseline, strict=True) if base > 0]
    if not pairs:
        return float("nan")
    return statistics.median(mine / base for mine, base in pairs)


_MEASURE_RSS = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mib(argv: Sequence[str | Path], cwd: Path | None = None) -> float:
    """Peak resident memory of a command, in MiB, read by a fresh parent from the kernel."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE_RSS, *[str(a) for a in argv]],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip()) / 1024


def service_python() -> Path:
    """The shared environment of generated services' dependencies (built by the tests)."""
    override = os.environ.get("MIO_SERVICE_PYTHON")
    python = Path(override) if override else ROOT / ".cache" / "service-venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"{python} is missing: run the test suite once (it builds the shared service "
            "environment), or set MIO_SERVICE_PYTHON to a python with the services' dependencies"
        )
    return python


def every_pattern() -> dict[str, str]:
    """Answers choosing every pattern: all resilience policies, a broker and a gateway."""
    from scaffold.answers import load_questions

    answers: dict[str, str] = {}
    for question in load_questions().values():
        choices = [c for c in (question.choices or ()) if c != "none"]
        if not choices or question.name not in {"gateway", "messaging", "resilience"}:
            continue
        answers[question.name] = ",".join(choices) if question.multiselect else choices[-1]
    return answers


def pattern_flags(answers: dict[str, str]) -> list[str]:
    """The `mio new service` flags that give ``answers``."""
    return [f"--{name}={value}" for name, value in answers.items()]


def render_checkout(destination: Path, data: dict[str, object]) -> Path:
    """Render this checkout's template (working tree included) with plain Copier."""
    import warnings

    from copier import run_copy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a dirty checkout is what we want to measure
        run_copy(
            str(ROOT), destination, data=data, defaults=True, unsafe=False, quiet=True,
            vcs_ref="HEAD",
        )  # fmt: skip
    return destination


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


SERVER_CPU = 0  # servers under test run on the first core...
LOAD_CPU = (os.cpu_count() or 1) - 1  # ...and the load generator on the last one


def on_cpu(cpu: int) -> Callable[[], None]:
    """A `preexec_fn` that keeps the child process on one core, so that the server and
    the load generator never compete for the same one (run-to-run noise halves)."""
    return lambda: os.sched_setaffinity(0, {cpu})


def wrk(
    url: str, connections: int, seconds: float, script: Path | None = None
) -> tuple[float, float]:
    """One wrk run (1 thread, on LOAD_CPU): requests per second and p99 latency in ms.

    ``script``: a wrk Lua script, e.g. one setting the method, body and headers of a POST.
    """
    import re

    scripted = ["-s", str(script)] if script is not None else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *scripted, url],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=on_cpu(LOAD_CPU),
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors while measuring {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    if rps is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * scale


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(value: float, target: float, *, at_most: bool = True) -> str:
    met = value <= target if at_most else value >= target
    return "met" if met else "NOT met"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}"
    )


def git_identity(work: Path) -> None:
    """A git identity of the bench's own (a global config under ``work``), for commits."""
    home = work / "home"
    home.mkdir(exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = bench\n\temail = bench@mio.invalid\n")
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
