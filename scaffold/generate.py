"""`mio new service`: render the template into a new directory, atomically.

Copier renders into a temporary directory beside the destination (same
filesystem); only a complete, committed service is moved into place. A failure
or Ctrl-C leaves nothing behind, and an existing destination is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold import __version__
from scaffold.answers import load_questions, validate_answers
from scaffold.copier_speed import copier_shortcuts
from scaffold.errors import DestinationExists, GenerationFailed, InvalidInput, MioError
from scaffold.history import offline_template
from scaffold.resources import TEMPLATE_SOURCE, template_tag


@dataclass(frozen=True)
class CreatedService:
    path: Path
    answers: dict[str, Any]
    version: str
    files: list[str]


def check_destination(destination: Path) -> None:
    if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
        raise DestinationExists(f"destination {destination} exists and is not a directory")
    if destination.is_dir() and any(destination.iterdir()):
        raise DestinationExists(
            f"destination {destination} exists and is not empty; mio never writes into it"
        )


def create_service(
    answers: dict[str, Any],
    destination: Path,
    *,
    defaults: bool = True,
    git_init: bool = True,
) -> CreatedService:
    """Render a service with validated ``answers`` into ``destination``."""
    from scaffold.compat import check_copier_version

    destination = Path(os.path.abspath(destination))
    check_destination(destination)
    check_copier_version()
    anchor = _nearest_existing(destination.parent)
    staging = Path(tempfile.mkdtemp(prefix=".mio-new-", dir=anchor))
    try:
        rendered = staging / destination.name
        final_answers = _render(answers, rendered, defaults=defaults)
        if not defaults:  # Copier's prompts applied copier.yml's rules; the catalog's too
            asked = {k: final_answers[k] for k in load_questions() if k in final_answers}
            validate_answers(asked, source="the prompt")
        if git_init:
            _commit_initial(rendered)
        files = sorted(
            str(p.relative_to(rendered))
            for p in rendered.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(rendered).parts
        )
        with _interrupts_deferred():  # the move and the clean-up happen whole, or not at all
            _move_into_place(rendered, destination)
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return CreatedService(destination, final_answers, template_tag(), files)


def _render(answers: dict[str, Any], target: Path, *, defaults: bool) -> dict[str, Any]:
    from copier import run_copy
    from copier.errors import CopierError

    try:
        with offline_template(), copier_shortcuts():  # every file is new: no index to sync
            worker = run_copy(
                src_path=TEMPLATE_SOURCE,
                dst_path=target,
                data=answers,
                vcs_ref=template_tag(),
                defaults=defaults,
                unsafe=False,
                quiet=True,
            )
    except MioError:
        raise
    except CopierError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "validation error" in message.lower():
            raise InvalidInput(message) from exc
        raise GenerationFailed(f"Copier failed: {message}") from exc
    return dict(worker.answers.combined)


def _commit_initial(project: Path) -> None:
    git = shutil.which("git")
    if git is None:
        return
    env = git_identity_env(project)
    for args in (
        ["init", "--quiet", "--initial-branch", "main"],
        ["add", "--all"],
        [
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            f"Create service from mio template {__version__}",
        ],
    ):
        result = subprocess.run([git, *args], cwd=project, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise GenerationFailed(f"git {args[0]} failed: {result.stderr.strip()}")


def git_identity_env(cwd: Path) -> dict[str, str]:
    """The environment for a commit: the user's identity, or mio's when none is configured."""
    env = dict(os.environ)
    for key, variable, fallback in (
        ("user.name", "NAME", "mio"),
        ("user.email", "EMAIL", "mio@localhost"),
    ):
        configured = subprocess.run(
            ["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True
        ).stdout.strip()
        if not configured:
            env.setdefault(f"GIT_AUTHOR_{variable}", fallback)
            env.setdefault(f"GIT_COMMITTER_{variable}", fallback)
    return env


def _move_into_place(rendered: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_dir():
        check_destination(destination)  # still empty: replace it
        destination.rmdir()
    os.rename(rendered, destination)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block is done; it is delivered right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _nearest_existing(path: Path) -> Path:
    while not path.is_dir():
        if path.exists():
            raise InvalidInput(f"{path} is not a directory")
        path = path.parent
    return path
