"""`mio new service`: render the template into a new directory, atomically.

Copier renders into a staging directory beside the destination (same
filesystem); only a complete, committed service is moved into place. A failure,
Ctrl-C or SIGTERM leaves nothing behind, and an existing destination is never
touched. A staging directory left by a killed run (SIGKILL, a power cut) carries
that run's process id in its name; the next run in the same parent removes it.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold import __version__, git
from scaffold.answers import load_questions, validate_answers
from scaffold.atomic import move_into_place
from scaffold.errors import (
    DestinationExists,
    GenerationFailed,
    Interrupted,
    InvalidInput,
    MioError,
)
from scaffold.history import offline_template
from scaffold.lock import lock_dependencies
from scaffold.project import STAGING_PREFIX
from scaffold.resources import TEMPLATE_SOURCE, template_tag

#: A staging directory without a process id in its name (an older mio's) counts as
#: left behind once it is this old.
_UNOWNED_STAGING_SECONDS = 3600


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
    lock: bool = True,
    version: str | None = None,
) -> CreatedService:
    """Render a service with validated ``answers`` into ``destination``.

    ``version`` is a released template version (default: this mio's own); tests make
    services of earlier releases with it, as those releases' mio made them.
    """
    from scaffold.compat import check_copier_version

    destination = Path(os.path.abspath(destination))
    check_destination(destination)
    check_copier_version()
    anchor = _nearest_existing(destination.parent)
    remove_abandoned_staging(anchor)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=anchor))
    try:
        rendered = staging / destination.name
        final_answers = _render(answers, rendered, defaults=defaults, version=version)
        if not defaults:  # Copier's prompts applied copier.yml's rules; the catalog's too
            asked = {k: final_answers[k] for k in load_questions() if k in final_answers}
            validate_answers(asked, source="the prompt")
        if lock:
            lock_dependencies(rendered)
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
    return CreatedService(destination, final_answers, template_tag(version or __version__), files)


def _render(
    answers: dict[str, Any], target: Path, *, defaults: bool, version: str | None = None
) -> dict[str, Any]:
    from copier import run_copy
    from copier.errors import CopierError

    try:
        with offline_template():
            worker = run_copy(
                src_path=TEMPLATE_SOURCE,
                dst_path=target,
                data=answers,
                vcs_ref=template_tag(version or __version__),
                defaults=defaults,
                unsafe=False,
                quiet=True,
            )
    except MioError:
        raise
    except CopierError as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt | EOFError):  # Ctrl-C, Ctrl-D at a prompt
            raise Interrupted(signal.SIGINT) from exc
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "validation error" in message.lower():
            raise InvalidInput(message) from exc
        raise GenerationFailed(f"Copier failed: {message}") from exc
    return dict(worker.answers.combined)


def _commit_initial(project: Path) -> None:
    if not git.available():
        return
    git.init(project, branch="main")
    git.add_all(project)
    git.commit(
        project,
        f"Create service from mio template {__version__}",
        env=git.identity_env(project),
    )


def _move_into_place(rendered: Path, destination: Path) -> None:
    check_destination(destination)  # still absent or empty
    move_into_place(rendered, destination)


def remove_abandoned_staging(parent: Path) -> list[Path]:
    """Remove the staging directories in ``parent`` whose run is gone; return them.

    A run names its staging directory ``.mio-new-<pid>-<random>``: it is abandoned when
    no process has that id any more (on this machine).
    """
    removed: list[Path] = []
    try:
        entries = [p for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            continue
        owner = entry.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if owner.isdigit():
            abandoned = int(owner) != os.getpid() and not _process_exists(int(owner))
        else:
            abandoned = time.time() - entry.stat().st_mtime > _UNOWNED_STAGING_SECONDS
        if abandoned:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


_DEFERRED_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done; they are delivered right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _DEFERRED_SIGNALS)


def _nearest_existing(path: Path) -> Path:
    while not path.is_dir():
        if path.exists():
            raise InvalidInput(f"{path} is not a directory")
        path = path.parent
    return path
