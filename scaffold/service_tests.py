"""`mio update --test`: run the service's tests on the updated copy before anything is written.

The update is made in a throwaway repository (:mod:`scaffold.service_repo`); the tests run
on a copy of that folder (without its git data), so whatever they write (caches, reports)
never reaches the service. The log is kept in a folder of its own that outlives the run,
so a failure can be read after mio exits.

Which Python runs the tests: a command starting with ``python`` runs with the service's own
``.venv/bin/python`` when the service's folder has one, else with the Python running mio.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The tests of a generated service (its pyproject sets `testpaths` and `pythonpath`).
DEFAULT_TEST_COMMAND = "python -m pytest -q"


@dataclass(frozen=True)
class TestRun:
    """How the service's tests went on the updated copy."""

    __test__ = False  # not a pytest test class

    command: tuple[str, ...]
    passed: bool
    #: The tests' output (stdout and stderr), kept after mio exits.
    log: Path


def command_words(command: str | None, service_folder: Path) -> tuple[str, ...]:
    """``command`` (default :data:`DEFAULT_TEST_COMMAND`) as words, ``python`` resolved."""
    words = shlex.split(command or DEFAULT_TEST_COMMAND)
    if words and words[0] == "python":
        own = service_folder / ".venv" / "bin" / "python"
        words[0] = str(own) if own.exists() else sys.executable
    return tuple(words)


def run_tests(updated: Path, words: tuple[str, ...], name: str) -> TestRun:
    """Run ``words`` in a copy of the updated folder ``updated``; the log survives."""
    logs = Path(tempfile.mkdtemp(prefix="mio-test-"))
    log = logs / f"{name}.log"
    with tempfile.TemporaryDirectory(prefix="mio-test-run-") as tmp:
        copy = Path(tmp) / name
        shutil.copytree(updated, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        with log.open("wb") as out:
            out.write(f"$ {shlex.join(words)}\n".encode())
            out.flush()
            try:
                code = subprocess.run(
                    words, cwd=copy, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
                ).returncode
            except OSError as exc:  # the command does not exist or cannot run
                out.write(f"{exc}\n".encode())
                code = 127
    return TestRun(words, code == 0, log)
