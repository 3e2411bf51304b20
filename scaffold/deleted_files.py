"""Template changes to files their owner deleted: skipped by Copier, reported by mio.

Copier's update leaves a file the owner deleted deleted, even when the new version changes
it, and says nothing. :func:`skipped_deletions` finds those files, so that the report can
list them ("skipped: you deleted it") and the owner can decide whether the change matters.

Rendering the whole old version to learn which of its files are gone would double the
cost of every update, so the service's git history names the candidates: the files
deleted in a commit of the service's folder and absent from its last commit. Only when
there are some are those files rendered, at the old version and at the new, to compare.
A file deleted before the service's history begins (imported without its history) is
not found.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.edit_protection import OldVersion, render_version


def deleted_in_history(folder: Path) -> list[str]:
    """Files deleted in some commit of ``folder`` and not in its last commit, relative to it."""
    out = git.run_git(
        "log",
        "--diff-filter=D",
        "--name-only",
        "--format=",
        "--relative",
        "HEAD",
        "--",
        ".",
        cwd=folder,
    )
    gone = {name for name in out.splitlines() if name}
    if not gone:
        return []
    present = set(git.tree_blobs(folder, "HEAD", sorted(gone)))
    return sorted(gone - present)


def skipped_deletions(
    history: Path, old: OldVersion, new_ref: str, new_answers: Mapping[str, Any]
) -> list[str]:
    """The files the owner deleted (found in the history of the folder ``history``) that the
    old version (``old``) generated and the version ``new_ref`` (with ``new_answers``)
    generates differently. Call it inside :func:`scaffold.history.offline_template`."""
    candidates = deleted_in_history(history)
    if not candidates:
        return []
    with tempfile.TemporaryDirectory(prefix="mio-deleted-") as tmp:
        before, after = Path(tmp) / "old", Path(tmp) / "new"
        render_version(old, before, only=candidates)
        generated = [name for name in candidates if (before / name).is_file()]
        if not generated:
            return []
        render_version(replace(old, ref=new_ref, answers=new_answers), after, only=generated)
        return [
            name
            for name in generated
            if (after / name).is_file()
            and (after / name).read_bytes() != (before / name).read_bytes()
        ]
