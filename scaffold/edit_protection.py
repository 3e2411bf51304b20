"""No owner's edit lost when a template drops or renames a file.

Copier's update deletes a file the new template version no longer has, even when its
owner edited it, and exits 0. After such an update, :func:`protect_edits` looks at each
deleted file:

- never edited (it equals the old version's rendering of it): it stays deleted;
- edited, and the template renamed it (a new file at least :data:`RENAME_SIMILARITY`
  like the old rendering): the owner's edits are 3-way merged into the new file
  (conflict markers where they clash);
- edited, and no rename: the file is put back as the owner left it, to be moved by hand.

The old version's rendering is found cheaply where it can be: a deleted file whose bytes
equal a plain (non-Jinja) file of the same name in the old version was never edited, and
a plain file at a fixed path is its own rendering. Only the rest is rendered again, with
Copier, with the project's answers, and only those files.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import git

#: How alike a dropped file and a new file must be to count as a rename.
RENAME_SIMILARITY = 0.6
#: The labels of a carried file's conflict markers: the owner's side, the old template's, the new.
MERGE_LABELS = ("before updating", "last update", "after updating")
_WILDCARD = re.compile(r"[*?\[\]\\]")


@dataclass(frozen=True)
class OldVersion:
    """The template version a project was updated from, and how to render it again."""

    #: The template source as Copier takes it (a path, a URL redirected to a bundle).
    source: str
    #: A git repository or bundle file holding ``ref`` (read for the plain files).
    history: Path
    #: The tag (or any ref) of the version.
    ref: str
    #: The project's answers at that version.
    answers: Mapping[str, Any]
    #: The template's ``_subdirectory``, where its files live in ``history``.
    subdirectory: str = "template"


@dataclass
class Protection:
    """What :func:`protect_edits` did."""

    #: Edited files the template dropped, put back as their owner left them.
    kept: list[str] = field(default_factory=list)
    #: ``(old, new)``: a renamed file, with its owner's edits merged into the new one.
    carried: list[tuple[str, str]] = field(default_factory=list)
    #: New files of ``carried`` whose merge left conflict markers.
    conflicts: list[str] = field(default_factory=list)

    @property
    def saved(self) -> set[str]:
        """The deleted files whose edits were kept or carried: no longer removed."""
        return {*self.kept, *(old for old, _ in self.carried)}


def protect_edits(
    project: Path, removed: Sequence[str], added: Sequence[str], old: OldVersion
) -> Protection:
    """Keep the owner's edits in the files of ``project`` an update deleted.

    ``removed`` and ``added`` are the paths (relative to ``project``) the update deleted
    and created; the project's last commit holds the files as they were before it. When
    ``old.source`` is a URL, call this where Copier resolves it (inside
    :func:`scaffold.history.offline_template`).
    """
    protection = Protection()
    committed = git.tree_blobs(project, "HEAD", list(removed)) if removed else {}
    candidates = list(added)
    with tempfile.TemporaryDirectory(prefix="mio-old-") as tmp:
        scratch = Path(tmp)
        bases = _old_renderings(removed, committed, old, scratch)
        for name, base in bases.items():
            ours = git.committed_content(project, name)
            if ours is None or base == ours:
                continue  # never edited: the template may drop it
            renamed = _renamed_to(name, base, candidates, project) if base is not None else None
            if renamed is not None and base is not None:
                protection.carried.append((name, renamed))
                if not _carry_edits(project / renamed, ours, base, scratch):
                    candidates.remove(renamed)
                    protection.conflicts.append(renamed)
            else:
                restored = project / name
                restored.parent.mkdir(parents=True, exist_ok=True)
                restored.write_bytes(ours)
                protection.kept.append(name)
    return protection


def _old_renderings(
    removed: Sequence[str], committed: Mapping[str, str], old: OldVersion, scratch: Path
) -> dict[str, bytes | None]:
    """The old version's rendering of each deleted file that may have been edited (None:
    the old version had no such file)."""
    history = scratch / "history"
    plain, fixed = _plain_template_files(old, history)
    suspects = [
        name
        for name in removed
        if name in committed and (Path(name).name, committed[name]) not in plain
    ]
    bases: dict[str, bytes | None] = {
        name: git.blob(history, fixed[name]) for name in suspects if name in fixed
    }
    rendered = [name for name in suspects if name not in bases]
    if rendered:  # rendering costs a clone and every path of the template
        target = scratch / "old"
        render_version(old, target, only=rendered)
        for name in rendered:
            base_file = target / name
            bases[name] = base_file.read_bytes() if base_file.is_file() else None
    return {name: bases[name] for name in suspects}


def _plain_template_files(
    old: OldVersion, repo: Path
) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The files the old version copies without rendering, fetched into ``repo``.

    Returns ``(file name, blob id)`` of each, and the blob id of each one whose whole
    path is fixed (no Jinja in it), keyed by its path in a project.
    """
    repo.mkdir()
    git.init(repo, bare=True)
    git.fetch(repo, old.history, f"{old.ref}:refs/mio/old")
    prefix = f"{old.subdirectory.strip('/')}/" if old.subdirectory else ""
    listed = git.tree_blobs(repo, "refs/mio/old", [prefix] if prefix else [], recursive=True)
    plain = set()
    fixed = {}
    for name, blob in listed.items():
        if not name.endswith(".jinja") and "{{" not in Path(name).name:
            plain.add((Path(name).name, blob))
            if "{" not in name:
                fixed[name.removeprefix(prefix)] = blob
    return plain, fixed


def render_version(old: OldVersion, target: Path, *, only: Sequence[str] | None = None) -> None:
    """Render the old version with its answers into ``target``: the files ``only``, or all."""
    from copier import run_copy

    run_copy(
        src_path=old.source,
        dst_path=target,
        data=dict(old.answers),
        vcs_ref=old.ref,
        defaults=True,
        quiet=True,
        unsafe=False,
        exclude=[] if only is None else ["*", *(_exactly(name) for name in only)],
    )


def _exactly(name: str) -> str:
    """A gitignore-style pattern that takes back (``!``) exactly the path ``name``."""
    return "!/" + _WILDCARD.sub(lambda match: "\\" + match.group(0), name)


def _renamed_to(old: str, base: bytes, added: list[str], project: Path) -> str | None:
    """The new file most like ``base`` (``old``'s rendering by the old template), if alike
    enough.

    Files with the same name are tried first, and the cheap upper bounds of the similarity
    rule out most other candidates before the exact (and costly) comparison.
    """
    try:
        old_text = base.decode("utf-8")
    except UnicodeDecodeError:
        return None
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(old_text)  # analysed once, compared with every candidate
    best, best_ratio = None, RENAME_SIMILARITY
    for name in sorted(added, key=lambda new: Path(new).name != Path(old).name):
        try:
            new_text = (project / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        matcher.set_seq1(new_text)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio >= best_ratio:
            best, best_ratio = name, ratio
    return best


def _carry_edits(renamed: Path, ours: bytes, base: bytes, scratch: Path) -> bool:
    """3-way merge the owner's edits (``base`` -> ``ours``) into the renamed file.

    Returns whether the merge was clean; otherwise the file holds conflict markers.
    """
    ours_file, base_file = scratch / "ours", scratch / "base"
    ours_file.write_bytes(ours)
    base_file.write_bytes(base)
    merged, clean = git.merge_file(ours_file, base_file, renamed, MERGE_LABELS)
    renamed.write_bytes(merged)
    return clean
