"""Services made the way a team without mio makes them: plain `copier copy` from a local
checkout of the template (a git clone at a release tag, or a bare directory), committed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from scaffold.answers_file import ANSWERS_FILE


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def clone_release(bundle: Path, tag: str, destination: Path) -> Path:
    """A local git clone of a template history, checked out at ``tag``."""
    git(bundle.parent, "clone", "--quiet", str(bundle), str(destination))
    git(destination, "checkout", "--quiet", tag)
    return destination


def plain_copy(template: Path, destination: Path, ref: str | None = None, **data: Any) -> Path:
    """``copier copy`` of ``template`` into ``destination``, then one commit of the result."""
    from copier import run_copy

    run_copy(
        str(template),
        destination,
        data={"service_name": "orders", **data},
        vcs_ref=ref,
        defaults=True,
        unsafe=False,
        quiet=True,
    )
    git(destination, "init", "--quiet")
    commit_all(destination, "Service from copier copy")
    return destination


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", message)


def answers_text(service: Path) -> str:
    return (service / ANSWERS_FILE).read_text()
