"""`mio adopt`: bring a service made with plain Copier under mio.

A service rendered with ``copier copy`` from a local checkout of the template (a
directory, or a git clone) records that path as ``_src_path``, and a directory records
no ``_commit`` at all: `copier update` cannot rebuild its version, and mio does not know
it. A service from an older or another URL records a source mio does not redirect.

Adopting finds the released version the service was made from by content: each
released version is rendered with the service's answers, and its files are compared with
the service's files as Copier last wrote them (the commit that last changed the answers
file, so owners' later edits do not count). The newest version whose render is identical
is recorded, with the canonical source (``TEMPLATE_SOURCE``); from then on `mio update`
and `mio check` work. When none is identical, the closest one is named with what differs,
and adopting at it takes an explicit ``at``: the next update then treats those
differences as the owner's edits.

Only the answers file changes, in one atomic rename; nothing is committed.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import (
    ANSWERS_FILE,
    read_answers_file,
    record_origin,
    template_answers,
)
from scaffold.edit_protection import OldVersion, render_version
from scaffold.errors import InvalidInput, NotAService
from scaffold.history import history_bundle, offline_template, released_versions
from scaffold.resources import TEMPLATE_SOURCE, template_tag


@dataclass(frozen=True)
class FileDifference:
    """A template-managed file whose content differs from a version's render."""

    path: str
    #: Lines the service has that the render lacks, and lines the render has that it lacks.
    added: int
    removed: int
    #: The service has no such file at all.
    missing: bool = False


@dataclass
class Candidate:
    """A released version, compared with the service."""

    version: str
    #: How many files the version renders (the answers file aside).
    files: int
    differences: list[FileDifference] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.differences

    @property
    def distance(self) -> int:
        """Files differing, then lines differing: smaller is closer."""
        return len(self.differences) * 1_000_000 + sum(
            d.added + d.removed for d in self.differences
        )


@dataclass
class AdoptReport:
    path: Path
    source_before: str
    commit_before: str | None
    #: The version recorded (or to be recorded); None when nothing was adopted.
    version: str | None = None
    #: The version compared closest, with what differs.
    closest: Candidate | None = None
    #: Every released version compared, oldest first.
    candidates: list[Candidate] = field(default_factory=list)
    #: Released versions that refuse the service's answers (not compared).
    unrenderable: list[str] = field(default_factory=list)
    already: bool = False
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        """0 adopted (or already), 1 not adopted: no version matches and none was chosen."""
        return 0 if self.version else 1

    @property
    def hint(self) -> str | None:
        if self.version or self.closest is None:
            return None
        return (
            f"adopt at the closest with --at {self.closest.version}:"
            " the next update keeps these differences as your edits"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "source": {"before": self.source_before, "after": TEMPLATE_SOURCE},
            "commit": {"before": self.commit_before, "after": self.version},
            "already_adopted": self.already,
            "unrenderable": self.unrenderable,
            "dry_run": self.dry_run,
            "exact": bool(self.closest and self.closest.exact),
            "closest": self.closest.version if self.closest else None,
            "versions": [
                {
                    "version": c.version,
                    "exact": c.exact,
                    "files": c.files,
                    "differing": [
                        {
                            "path": d.path,
                            "added": d.added,
                            "removed": d.removed,
                            "missing": d.missing,
                        }
                        for d in c.differences
                    ],
                }
                for c in self.candidates
            ],
        }


def adopt_service(
    path: Path, *, at: str | None = None, bundle: Path | None = None, dry_run: bool = False
) -> AdoptReport:
    """Record in ``path``'s answers file the canonical source and the released version its
    template-managed files were rendered from (``at`` to accept the closest, inexact one).

    Refuses (:class:`InvalidInput`, nothing written) a path that is not a Copier project,
    invalid answers, a service outside git or with uncommitted changes, and an ``at`` that
    is not released.

    Without ``at`` and with no identical version, nothing is written: the report names
    the closest version and what differs (its ``exit_code`` is 1).
    """
    path = Path(os.path.abspath(path))
    if not path.is_dir():
        raise NotAService(f"{path}: not a directory")
    data = _copier_answers(path)
    answers = _valid_answers(path, data)
    repo_root, prefix = _clean_work_tree(path)
    bundle = history_bundle(bundle)
    versions = released_versions(bundle)
    if at is not None and template_tag(at) not in versions:
        raise InvalidInput(
            f"--at {at}: not a released template version; released: {', '.join(versions)}"
        )
    report = AdoptReport(path, data["_src_path"], data.get("_commit"), dry_run=dry_run)
    if data["_src_path"] == TEMPLATE_SOURCE and data.get("_commit") in versions:
        if at is not None and template_tag(at) != data["_commit"]:
            raise InvalidInput(
                f"--at {at}: {path} is already adopted at {data['_commit']};"
                " adopting never moves a managed service's version",
                hint="mio update --to VERSION moves it forward",
            )
        report.already, report.version = True, data["_commit"]
        return report
    written = _last_written(repo_root, prefix)
    renders = _renders(answers, versions, bundle)
    report.unrenderable = [version for version, files in renders if files is None]
    report.candidates = [
        _compare(version, files, repo_root, prefix, written)
        for version, files in renders
        if files is not None
    ]
    if not report.candidates:
        raise InvalidInput(
            f"{path}: no released template version renders with its answers"
            f" (released: {', '.join(versions) or 'none'})",
            hint="check the answers in " + ANSWERS_FILE,
        )
    if at is not None and template_tag(at) in report.unrenderable:
        raise InvalidInput(f"--at {at}: that version does not render with the service's answers")
    report.closest = min(
        reversed(report.candidates), key=lambda c: c.distance
    )  # the newest among equals
    if at is not None:
        report.version = template_tag(at)
    elif report.closest.exact:
        report.version = report.closest.version
    if report.version and not dry_run:
        record_origin(path, TEMPLATE_SOURCE, report.version)
    return report


def _copier_answers(path: Path) -> dict[str, Any]:
    try:
        data = read_answers_file(path)
    except NotAService as exc:
        raise NotAService(
            exc.message.replace("not a service generated by mio", "not a Copier project"),
            hint="run mio adopt on a folder made by `copier copy` from mio's template",
        ) from None
    source = data.get("_src_path")
    if not isinstance(source, str) or not source:
        raise NotAService(
            f"{path}: {ANSWERS_FILE} records no _src_path; not a project made by Copier"
        )
    return data


def _valid_answers(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    from scaffold.answers import validate_answers
    from scaffold.project import shown_path

    answers = template_answers(data)
    validate_answers(answers, source=shown_path(path / ANSWERS_FILE), ignore_unknown=True)
    return answers


def _clean_work_tree(path: Path) -> tuple[Path, str]:
    inside = git.work_tree_of(path)
    if inside is None:
        raise NotAService(
            f"{path}: not in a git repository; adopting compares with what Copier wrote,"
            " and updates need git to keep your edits",
            hint="git init && git add --all && git commit -m 'Import service'",
        )
    if git.status(path):
        raise InvalidInput(
            f"{path}: the git tree has uncommitted changes or untracked files;"
            " adopting needs a clean tree",
            hint="commit or stash your changes, then run it again",
        )
    return inside


def _last_written(repo_root: Path, prefix: str) -> str:
    """The commit that last changed the answers file: the service as Copier last wrote it."""
    commit = git.run_git(
        "log", "-1", "--format=%H", "--", f"{prefix}{ANSWERS_FILE}", cwd=repo_root
    ).strip()
    if not commit:
        raise NotAService(f"{repo_root / prefix}: {ANSWERS_FILE} was never committed")
    return commit


def _renders(
    answers: dict[str, Any], versions: list[str], bundle: Path
) -> list[tuple[str, dict[str, bytes] | None]]:
    """Each released version rendered with ``answers``: its files (the answers file aside),
    or None for a version that refuses them."""
    from copier.errors import CopierError

    renders: list[tuple[str, dict[str, bytes] | None]] = []
    with tempfile.TemporaryDirectory(prefix="mio-adopt-") as tmp, offline_template(bundle):
        for version in versions:
            target = Path(tmp) / version
            try:
                render_version(OldVersion(TEMPLATE_SOURCE, bundle, version, answers), target)
            except CopierError:  # an answer that version refuses: it cannot be the one
                renders.append((version, None))
                continue
            files = {
                file.relative_to(target).as_posix(): file.read_bytes()
                for file in sorted(target.rglob("*"))
                if file.is_file() and file.relative_to(target).as_posix() != ANSWERS_FILE
            }
            renders.append((version, files))
    return renders


def _compare(
    version: str, rendered: dict[str, bytes], repo_root: Path, prefix: str, commit: str
) -> Candidate:
    blobs = git.tree_blobs(repo_root, commit, [prefix or "."], recursive=True)
    candidate = Candidate(version, len(rendered))
    for name, content in rendered.items():
        blob_id = blobs.get(f"{prefix}{name}")
        if blob_id is None:
            lines = len(content.splitlines())
            candidate.differences.append(FileDifference(name, 0, lines, missing=True))
            continue
        ours = git.blob(repo_root, blob_id)
        if ours != content:
            added, removed = _line_counts(ours, content)
            candidate.differences.append(FileDifference(name, added, removed))
    return candidate


def _line_counts(ours: bytes, theirs: bytes) -> tuple[int, int]:
    """Lines only in ``ours``, lines only in ``theirs``."""
    diff = difflib.unified_diff(
        theirs.decode(errors="replace").splitlines(),
        ours.decode(errors="replace").splitlines(),
        lineterm="",
        n=0,
    )
    added = removed = 0
    for line in diff:
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
