"""The lock of a service's dependencies: `uv.lock`, written by uv beside `pyproject.toml`.

A Copier template cannot ship the lock (it depends on the patterns chosen and on what
the package index holds that day) and must not run uv itself (a task makes a template
unsafe). So mio locks right after it renders: `mio new` commits the lock with the
service, and `mio update`, `add` and `remove` lock again whenever `pyproject.toml`
changed, leaving the new lock in the diff to review. The Dockerfile and CI install
from the lock (`uv sync --locked`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scaffold.errors import GenerationFailed

LOCK_FILE = "uv.lock"


def uv_binary() -> str:
    """The uv executable installed with mio (the `uv` package ships it)."""
    from uv import find_uv_bin

    return str(find_uv_bin())


def lock_dependencies(project: Path) -> None:
    """Write or refresh ``project/uv.lock`` from its ``pyproject.toml``.

    An existing lock keeps its pins where `pyproject.toml` still allows them.
    """
    result = subprocess.run(
        [uv_binary(), "lock", "--quiet", "--no-progress"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_uv_env(),
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise GenerationFailed(
            f"uv could not lock the dependencies of {project}:"
            f" {detail[-1] if detail else f'exit {result.returncode}'}",
            hint="check that the package index is reachable, then run `uv lock` in the service",
        )


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")  # lock with a Python already here
    return env
