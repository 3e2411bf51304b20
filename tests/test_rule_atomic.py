"""Rule: generation is atomic. A failure or Ctrl-C midway leaves no destination behind,
and an existing destination is never overwritten or partly written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import tree

MIO = [sys.executable, "-m", "scaffold"]


def mio_new(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MIO, "new", "service", "orders", "--defaults", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("delay", [0.3, 0.5, 0.7, 0.9])
def test_ctrl_c_midway_leaves_nothing(tmp_path: Path, delay: float) -> None:
    process = mio_new(tmp_path)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:  # finished before the signal: then it must be complete
        assert (tmp_path / "orders" / "pyproject.toml").is_file()
        return
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1, err
    left = list(tmp_path.iterdir())
    # Nothing at all, or (interrupted after the final move) the complete service alone.
    assert left in ([], [tmp_path / "orders"]), left
    if left:
        assert (tmp_path / "orders" / ".copier-answers.yml").is_file()


def test_failure_midway_leaves_nothing(tmp_path: Path) -> None:
    # git may not read local files: the template history cannot be cloned.
    process = mio_new(tmp_path, env={"GIT_ALLOW_PROTOCOL": "https"})
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_failure_never_touches_an_existing_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    process = mio_new(tmp_path, env={"GIT_ALLOW_PROTOCOL": "https"})
    process.communicate(timeout=60)
    assert process.returncode == 1
    assert tree(tmp_path) == {"orders"}
