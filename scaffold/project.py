"""A generated service as mio finds it on disk: its git state and its answers file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import ANSWERS_FILE as ANSWERS_FILE  # gateway, fleet import it here
from scaffold.answers_file import read_answers_file, template_answers
from scaffold.errors import NotAService
from scaffold.resources import FORMER_SOURCES, TEMPLATE_SOURCE

#: The prefix of the folder `mio new service` renders in before moving the result into
#: place; never a service, whatever it holds.
STAGING_PREFIX = ".mio-new-"
_MARKER_STARTS = (b"<<<<<<< ", b">>>>>>> ")
#: Folders never searched for services: tools' caches, environments, git's own.
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".cache"})


@dataclass(frozen=True)
class Service:
    """A service directory inside a git work tree, with a valid mio answers file."""

    path: Path
    #: Root of the git work tree holding the service (the service may sit in a monorepo).
    repo_root: Path
    #: The service directory relative to ``repo_root`` ("" at the root), as git prints it.
    prefix: str
    #: The answers to the template's questions (no ``_`` keys).
    answers: dict[str, Any]
    #: The template version the service is at (a tag such as ``v0.1.0``).
    version: str
    #: The template source its answers file records (``TEMPLATE_SOURCE`` or a former one).
    source: str = TEMPLATE_SOURCE


def read_answers(path: Path) -> dict[str, Any]:
    """The service's answers file, checked to be one mio can update from."""
    data = read_answers_file(path)
    for key in ("_src_path", "_commit", "service_name"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise NotAService(f"{path}: {ANSWERS_FILE} has no {key}")
    if data["_src_path"] not in (TEMPLATE_SOURCE, *FORMER_SOURCES):
        raise NotAService(
            f"{path}: {ANSWERS_FILE} records the template source {data['_src_path']!r},"
            f" not mio's {TEMPLATE_SOURCE}",
            hint="update it with plain `copier update`",
        )
    from scaffold.answers import validate_answers

    answers_path = path / ANSWERS_FILE
    validate_answers(template_answers(data), source=shown_path(answers_path), ignore_unknown=True)
    return data


def shown_path(path: Path) -> str:
    """``path`` as a user would type it: relative to the current directory when inside it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def service_dirs(directory: Path) -> Iterator[Path]:
    """The folders under ``directory`` (itself included) holding an answers file, in name
    order; a service is not searched for services inside it, nor is a staging folder."""
    for root, dirs, files in os.walk(directory):
        if ANSWERS_FILE in files:
            dirs[:] = []
            yield Path(root)
        else:
            dirs[:] = sorted(
                d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(STAGING_PREFIX)
            )


def in_staging(path: Path) -> bool:
    """Whether ``path`` lies in a folder `mio new service` renders in."""
    return any(part.startswith(STAGING_PREFIX) for part in Path(os.path.abspath(path)).parts)


def open_service(path: Path) -> Service:
    """Find the service at ``path``: a directory in a git work tree with a valid answers file."""
    path = Path(os.path.abspath(path))
    if not path.is_dir():
        raise NotAService(f"{path}: not a directory")
    if in_staging(path):
        raise NotAService(f"{path}: a folder where `mio new service` renders, not a service")
    data = read_answers(path)
    inside = git.work_tree_of(path)
    if inside is None:
        raise NotAService(
            f"{path}: not in a git repository; updates need git to keep your edits",
            hint="git init && git add --all && git commit -m 'Import service'",
        )
    root, prefix = inside
    answers = template_answers(data)
    return Service(path, root, prefix, answers, data["_commit"], data["_src_path"])


def changed_paths(service: Service) -> list[tuple[str, str]]:
    """``(status, path)`` of every change in the service's directory, paths relative to it.

    ``status`` is git's two-letter porcelain code (``??`` for untracked files).
    """
    changes = []
    for status, name in git.status(service.path):
        if name.startswith(service.prefix):
            name = name[len(service.prefix) :]
        changes.append((status, name))
    return changes


def is_dirty(service: Service) -> bool:
    return bool(changed_paths(service))


def has_markers(path: Path) -> bool:
    """Whether a file holds a line that opens or closes a conflict."""
    try:
        with path.open("rb") as handle:
            return any(line.startswith(_MARKER_STARTS) for line in handle)
    except (FileNotFoundError, IsADirectoryError):
        return False


def files_with_markers(service: Service, candidates: list[str] | None = None) -> list[str]:
    """Files (relative to the service) holding conflict markers.

    Looks at ``candidates`` or else at every file git knows or would track.
    """
    if candidates is None:
        candidates = git.listed_files(service.path)
    return [name for name in candidates if has_markers(service.path / name)]
