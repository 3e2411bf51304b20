"""An owner's path across a release: a service made by mio BASE is updated by the next
mio, installed from its wheel into a fresh virtual environment, with git unable to
reach any network: every template version comes from inside the installed package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from trial_history import ADDED, BASE, DROPPED, NEXT, make_v2

from helpers import ROOT
from scaffold.generate import create_service
from scaffold.history import HISTORY_ENV, record_release

_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".cache",
    ".venv",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "dist",
    "build",
)


def run(*args: str | Path, cwd: Path, expect: int = 0) -> str:
    env = {key: value for key, value in os.environ.items() if key != HISTORY_ENV}
    env["GIT_ALLOW_PROTOCOL"] = "file"  # only local git transports: no network for git
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == expect, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def next_release_checkout(destination: Path) -> Path:
    """This checkout as its next release: template changed, version bumped, history recorded."""
    shutil.copytree(ROOT, destination, ignore=_NOT_SOURCE)
    make_v2(destination)
    init = destination / "scaffold" / "__init__.py"
    init.write_text(re.sub(r'__version__ = ".*"', f'__version__ = "{NEXT[1:]}"', init.read_text()))
    record_release(destination, destination / "scaffold" / "template-history.bundle", NEXT)
    return destination


@pytest.mark.slow
def test_installed_next_release_updates_a_service_offline(tmp_path: Path) -> None:
    source = next_release_checkout(tmp_path / "mio-next")
    dist = tmp_path / "dist"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "-w",
        dist,
        source,
        cwd=tmp_path,
    )
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    mio = env_dir / "bin" / "mio"
    run(
        env_dir / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        next(dist.glob("*.whl")),
        cwd=tmp_path,
    )
    assert run(mio, "--version", cwd=tmp_path).splitlines()[0] == f"mio {NEXT[1:]}"

    service = create_service({"service_name": "orders"}, tmp_path / "orders").path  # by mio BASE
    (service / DROPPED).write_text((service / DROPPED).read_text() + "secrets/\n")
    subprocess.run(["git", "commit", "--quiet", "-am", "owner edit"], cwd=service, check=True)

    behind = run(mio, "check", service, cwd=tmp_path, expect=4)
    assert f"behind: at {BASE}, the installed template is {NEXT}" in behind

    out = run(mio, "update", service, cwd=tmp_path)
    assert f"updated {BASE} -> {NEXT}" in out
    assert f"kept      {DROPPED}" in out and "secrets/" in (service / DROPPED).read_text()
    assert (service / ADDED).is_file()
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] == NEXT

    subprocess.run(["git", "add", "--all"], cwd=service, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "update"], cwd=service, check=True)
    kept = run(mio, "check", service, cwd=tmp_path, expect=5)  # the kept file, to move
    assert "kept for you to move, then delete" in kept and DROPPED in kept
    subprocess.run(["git", "rm", "--quiet", DROPPED], cwd=service, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "moved"], cwd=service, check=True)
    assert "ok (template" in run(mio, "check", service, cwd=tmp_path)
    assert f"up to date at {NEXT}" in run(mio, "update", service, cwd=tmp_path)
