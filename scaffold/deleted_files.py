"""Template changes to files their owner deleted: skipped by Copier, reported by mio.

Copier's update leaves a file the owner deleted deleted, even when the new version changes
it, and says nothing. :func:`skipped_deletions` finds those files, so that the report can
list them ("skipped: you deleted it") and the owner can decide whether the change matters.

It renders the old version once (with the old answers) to learn which of its files the
service no longer has, and only when there are some, renders those files of the new
version (with the new answers) to compare.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import ANSWERS_FILE
from scaffold.edit_protection import OldVersion, render_version


def skipped_deletions(
    project: Path, old: OldVersion, new_ref: str, new_answers: Mapping[str, Any]
) -> list[str]:
    """Files of the old version missing from ``project``'s last commit that the version
    ``new_ref`` (with ``new_answers``) still has, changed. Call it inside
    :func:`scaffold.history.offline_template`."""
    committed = set(git.tree_blobs(project, "HEAD", [], recursive=True))
    with tempfile.TemporaryDirectory(prefix="mio-deleted-") as tmp:
        before, after = Path(tmp) / "old", Path(tmp) / "new"
        render_version(old, before)
        deleted = sorted(
            name
            for path in before.rglob("*")
            if path.is_file()
            and (name := path.relative_to(before).as_posix()) not in committed
            and name != ANSWERS_FILE
        )
        if not deleted:
            return []
        render_version(replace(old, ref=new_ref, answers=new_answers), after, only=deleted)
        return [
            name
            for name in deleted
            if (after / name).is_file()
            and (after / name).read_bytes() != (before / name).read_bytes()
        ]
