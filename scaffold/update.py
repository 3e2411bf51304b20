"""`mio update`, `mio add`, `mio remove`: Copier's 3-way update, offline, and no edit lost.

Copier does the update itself: it rebuilds the service's recorded version with its
last answers, diffs that against the service, renders the new version (or the
new answers) and applies the diff, leaving inline conflict markers where an
owner's edit meets a template change. mio adds, around it:

- the template history from the installed package (:func:`scaffold.history.offline_template`);
- checks before a byte is written: a clean service folder (nothing outside it counts),
  a valid answers file, a released target version that is not a downgrade;
- isolation: Copier runs on a repository holding only the service's folder, and the
  result is carried back (:mod:`scaffold.service_repo`), so services sharing a
  repository update independently;
- conflict detection: Copier exits 0 with markers in files; mio reports them (exit 3);
- protection of edited files the template no longer has (:mod:`scaffold.edit_protection`):
  an edited file the new version renames has its edits carried into the new file, one
  it drops is put back; both are reported;
- on request, the service's tests run on the updated copy first, and nothing is written
  when they fail (:mod:`scaffold.service_tests`); and the update can end as a commit, on
  the current branch or on a branch of its own (:mod:`scaffold.update_commit`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import ANSWERS_FILE, record_origin
from scaffold.deleted_files import skipped_deletions
from scaffold.edit_protection import OldVersion, protect_edits
from scaffold.errors import GenerationFailed, InvalidInput, MioError
from scaffold.history import history_bundle, offline_template, released_versions
from scaffold.lock import LOCK_FILE, lock_dependencies
from scaffold.project import (
    Service,
    changed_paths,
    files_with_markers,
    is_dirty,
    open_service,
    shown_path,
)
from scaffold.resources import TEMPLATE_SOURCE, template_tag
from scaffold.service_repo import carry_back, isolate, repository_lock
from scaffold.versions import parse_version

_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


@dataclass
class UpdateReport:
    """What an update did (or, with ``dry_run``, would do) to one service."""

    path: Path
    from_version: str
    to_version: str
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Files holding conflict markers to resolve.
    conflicts: list[str] = field(default_factory=list)
    #: Edited files the template no longer has, kept in place.
    kept: list[str] = field(default_factory=list)
    #: ``(old, new)``: a file the template renamed, with the owner's edits carried over.
    carried: list[tuple[str, str]] = field(default_factory=list)
    #: Answers that changed: ``name -> (before, after)``.
    answers: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: ``(before, after)`` when the recorded template source is re-pointed to the canonical one.
    source: tuple[str, str] | None = None
    dry_run: bool = False
    #: `pyproject.toml` holds conflict markers: run `uv lock` once they are resolved.
    lock_pending: bool = False
    #: Files the owner deleted that the new version changes: left deleted, change skipped.
    skipped_deleted: list[str] = field(default_factory=list)
    #: The newest installed template version, when it is newer than ``to_version``
    #: (`mio add`/`remove` stay at the service's version: `mio update` goes further).
    newer: str | None = None
    #: With ``--test``: "passed", "failed", or "not run" (conflicts); None without it.
    tests: str | None = None
    #: The tests' log (kept after mio exits).
    test_log: Path | None = None
    #: The branch the update was committed on, and the commit's id.
    branch: str | None = None
    commit: str | None = None
    #: Why an update that ran was not written (tests failed, conflicts on a branch).
    not_written: str | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.updated
            or self.added
            or self.removed
            or self.conflicts
            or self.carried
            or self.answers
            or self.source
            or self.from_version != self.to_version
        )

    @property
    def exit_code(self) -> int:
        if self.tests == "failed":
            return TESTS_FAILED
        return 3 if self.conflicts else 0


#: Exit code of an update whose tests failed on the updated copy: nothing was written.
TESTS_FAILED = 6


def update_service(
    path: Path,
    *,
    to: str | None = None,
    data: dict[str, Any] | None = None,
    sources: Mapping[str, str] | None = None,
    bundle: Path | None = None,
    dry_run: bool = False,
    test: bool = False,
    test_command: str | None = None,
    branch: str | None = None,
    commit: bool = False,
) -> UpdateReport:
    """Bring the service at ``path`` to version ``to`` (default: the newest released).

    ``data`` changes answers (this is how patterns are added and removed); without
    ``to``, a change of answers stays at the service's current version. The answers,
    old and new, must pass ``copier.yml``'s rules; ``sources`` says where each of
    ``data`` came from (default ``--data``), for the error message.

    A service recording a former template source is re-pointed to ``TEMPLATE_SOURCE``.

    With ``test``, ``test_command`` (see :mod:`scaffold.service_tests`) runs on the updated
    copy first; when it fails nothing is written. ``commit`` records the update as one
    commit, on ``branch`` (created from ``HEAD`` when missing; the working tree is not
    touched) or on the current branch; an update with conflicts is never committed (on a
    branch, nothing is written).
    """
    service = open_service(path)  # its answers file is checked there
    if branch is not None:
        from scaffold.update_commit import check_branch_name

        check_branch_name(service.repo_root, branch)
    bundle = history_bundle(bundle)
    target = _target_version(service, to, bundle, keep_version=data is not None)
    if data:
        from scaffold.answers import validate_answers

        answers_file = shown_path(service.path / ANSWERS_FILE)
        where = {**dict.fromkeys(service.answers, answers_file), **dict.fromkeys(data, "--data")}
        validate_answers(
            {**service.answers, **data}, sources={**where, **(sources or {})}, ignore_unknown=True
        )
    new_answers = {**service.answers, **(data or {})}
    changes = {
        key: (service.answers.get(key), value)
        for key, value in new_answers.items()
        if service.answers.get(key) != value
    }
    report = UpdateReport(service.path, service.version, target, answers=changes, dry_run=dry_run)
    newest = released_versions(bundle)[-1]
    if parse_version(newest) > parse_version(target):
        report.newer = newest
    if service.source != TEMPLATE_SOURCE:
        report.source = (service.source, TEMPLATE_SOURCE)
    if not report.changed:  # up to date: nothing to run, whatever the tree holds
        return report
    if is_dirty(service):
        raise InvalidInput(
            f"{service.path}: the service's folder has uncommitted changes or untracked files;"
            " an update needs it clean so you can review its diff",
            hint="commit or stash your changes in it, then run it again",
        )
    with tempfile.TemporaryDirectory(prefix="mio-update-") as tmp:
        shadow = isolate(service, Path(tmp) / "service")
        _apply(shadow, report, new_answers, bundle)
        if test:
            _test(shadow, service, report, test_command)
        if not dry_run and not report.not_written:
            _record(shadow, service, report, branch=branch, commit=commit)
    return report


def _test(shadow: Service, service: Service, report: UpdateReport, command: str | None) -> None:
    """Run the service's tests on the updated copy; a failure keeps the update unwritten."""
    if report.conflicts:
        report.tests = "not run"  # files with markers cannot be tested
        return
    from scaffold.service_tests import command_words, run_tests

    run = run_tests(shadow.path, command_words(command, service.path), service.path.name)
    report.tests, report.test_log = ("passed" if run.passed else "failed"), run.log
    if not run.passed:
        report.not_written = "the tests failed on the updated copy"


def _record(
    shadow: Service, service: Service, report: UpdateReport, *, branch: str | None, commit: bool
) -> None:
    """Write the update into the service's folder, or commit it (see update_commit)."""
    from scaffold.update_commit import commit_message, commit_update, current_branch

    if branch and branch == current_branch(service.repo_root):
        branch = None  # the checked-out branch: written and committed as with --commit alone
    if branch and report.conflicts:
        report.not_written = f"conflicts: not committed on {branch}"
        return
    if not branch:
        _write_back(shadow, service)
    if not (commit or branch) or report.conflicts:
        return
    name = str(service.answers.get("service_name") or service.path.name)
    message = commit_message(name, service.prefix, report.from_version, report.to_version)
    with repository_lock(service):
        report.commit = commit_update(shadow, service, message, branch)
    report.branch = branch or current_branch(service.repo_root)


def _write_back(shadow: Service, service: Service) -> None:
    """Carry the update made in ``shadow`` into the service's folder; on any failure,
    return the folder to its last commit (it was clean)."""
    with repository_lock(service):
        try:
            carry_back(shadow, service)
        except BaseException as exc:
            _roll_back(service)
            if isinstance(exc, MioError | KeyboardInterrupt) or not isinstance(exc, Exception):
                raise
            raise GenerationFailed(
                f"{service.path}: the update could not be written and was rolled back,"
                f" nothing changed: {type(exc).__name__}: {exc}"
            ) from exc


def _target_version(service: Service, to: str | None, bundle: Path, *, keep_version: bool) -> str:
    versions = released_versions(bundle)
    if not versions:
        raise GenerationFailed(f"no template versions in {bundle}", hint="reinstall mio")
    if service.version not in versions:
        raise InvalidInput(
            f"{service.path}: records template version {service.version}, which this mio does not"
            f" know (newest: {versions[-1]})",
            hint="install the mio release that made it, or a newer one",
        )
    target = template_tag(to) if to else (service.version if keep_version else versions[-1])
    if target not in versions:
        raise InvalidInput(
            f"--to {to}: not a released template version; released: {', '.join(versions)}"
        )
    if parse_version(target) < parse_version(service.version):
        raise InvalidInput(
            f"{service.path}: is at {service.version}; going back to {target} is not supported"
        )
    return target


def _apply(
    service: Service, report: UpdateReport, answers: dict[str, Any], bundle: Path
) -> UpdateReport:
    from copier import run_update
    from copier.errors import CopierError

    try:
        with offline_template(bundle):
            if report.from_version != report.to_version or report.answers:
                run_update(
                    dst_path=service.path,
                    data=answers,
                    vcs_ref=report.to_version,
                    defaults=True,
                    overwrite=True,
                    quiet=True,
                    unsafe=False,
                    conflict="inline",
                )
                _sort_changes(service, report)
                if report.removed:
                    _protect_edits(service, report, bundle)
                report.skipped_deleted = skipped_deletions(
                    report.path,  # the owner's folder: its history, not the isolated copy's
                    OldVersion(TEMPLATE_SOURCE, bundle, report.from_version, service.answers),
                    report.to_version,
                    answers,
                )
                _relock(service, report)
            if report.source:
                record_origin(service.path, report.source[1])
    except BaseException as exc:
        # Copier ran in a repository of the service's own (:mod:`scaffold.service_repo`):
        # the owner's folder is untouched.
        if isinstance(exc, MioError | KeyboardInterrupt):
            raise
        text = str(exc).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        if isinstance(exc, CopierError) and "validation error" in message.lower():
            raise InvalidInput(f"{report.path}: {message}") from exc
        if not isinstance(exc, Exception):
            raise
        raise GenerationFailed(
            f"{report.path}: the update failed and was rolled back, nothing changed:"
            f" {type(exc).__name__}: {message}"
        ) from exc
    return report


PYPROJECT = "pyproject.toml"


def _relock(service: Service, report: UpdateReport) -> None:
    """Lock again when the update changed `pyproject.toml` (or the service has no lock yet).

    With markers in `pyproject.toml` nothing can be locked: the report says to run
    `uv lock` once they are resolved.
    """
    if PYPROJECT in report.conflicts:
        report.lock_pending = True
        return
    lock = service.path / LOCK_FILE
    if PYPROJECT not in report.updated and lock.exists():
        return
    had_lock = lock.exists()
    lock_dependencies(service.path)
    if not had_lock:
        report.added.append(LOCK_FILE)
        report.added.sort()
    elif any(name == LOCK_FILE for _, name in changed_paths(service)):
        report.updated.append(LOCK_FILE)
        report.updated.sort()


def _roll_back(service: Service) -> None:
    """Return the service's directory to its last commit (it was clean before the update)."""
    git.restore_to_head(service.path)


def _sort_changes(service: Service, report: UpdateReport) -> None:
    touched = []
    for status, name in changed_paths(service):
        if name == ANSWERS_FILE:
            continue
        if status in _UNMERGED:
            report.conflicts.append(name)
            continue
        touched.append(name)
        if status == "??" or status[0] == "A":
            report.added.append(name)
        elif "D" in status:
            report.removed.append(name)
        else:
            report.updated.append(name)
    for name in files_with_markers(service, touched):
        report.conflicts.append(name)
        for bucket in (report.added, report.updated):
            if name in bucket:
                bucket.remove(name)
    report.conflicts.sort()


def _protect_edits(service: Service, report: UpdateReport, bundle: Path) -> None:
    """Keep the owner's edits in the files the update deleted (see
    :mod:`scaffold.edit_protection`); runs inside :func:`offline_template`."""
    old = OldVersion(TEMPLATE_SOURCE, bundle, report.from_version, service.answers)
    protection = protect_edits(service.path, report.removed, report.added, old)
    report.removed = [name for name in report.removed if name not in protection.saved]
    report.kept += protection.kept
    report.carried += protection.carried
    for name in protection.conflicts:
        report.added.remove(name)
        report.conflicts.append(name)
    report.conflicts.sort()
