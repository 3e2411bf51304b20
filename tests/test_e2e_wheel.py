"""A new user's path: install mio's wheel, create a service, install it, run its tests."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from helpers import ROOT, assert_ok


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
    )
    assert_ok(result)
    return result.stdout


@pytest.mark.slow
def test_wheel_to_working_service(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, ROOT, cwd=tmp_path
    )
    wheel = next(dist.glob("mio_scaffold-*.whl"))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)

    work = tmp_path / "work"
    work.mkdir()
    # Only local git transports: the template must come from inside the installed package.
    offline = {"GIT_ALLOW_PROTOCOL": "file"}
    out = run(bin_dir / "mio", "new", "service", "orders", "--defaults", cwd=work, env=offline)
    assert "Created service orders" in out

    project = work / "orders"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]", cwd=project)
    run(bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    run(bin_dir / "ruff", "check", ".", cwd=project)
