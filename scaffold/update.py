"""`mio update`, `mio add`, `mio remove`: Copier's 3-way update, offline, and no edit lost.

Copier does the update itself: it rebuilds the service's recorded version with its
last answers, diffs that against the service, renders the new version (or the
new answers) and applies the diff, leaving inline conflict markers where an
owner's edit meets a template change. mio adds, around it:

- the template history from the installed package (:func:`scaffold.history.offline_template`);
- checks before a byte is written: a clean git tree, a valid answers file, a
  released target version that is not a downgrade;
- conflict detection: Copier exits 0 with markers in files; mio reports them (exit 3);
- protection of edited files the template no longer has. Copier deletes a file the
  new version drops or renames even when its owner edited it. mio compares each
  deleted file with the old version's rendering; an edited one is carried into the
  file it was renamed to (a 3-way merge) or, when there is none, put back and reported.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import ANSWERS_FILE
from scaffold.errors import GenerationFailed, InvalidInput, MioError
from scaffold.history import history_bundle, offline_template, released_versions
from scaffold.lock import LOCK_FILE, lock_dependencies
from scaffold.project import (
    Service,
    changed_paths,
    files_with_markers,
    head_content,
    is_dirty,
    open_service,
    shown_path,
)
from scaffold.resources import TEMPLATE_SOURCE, template_tag
from scaffold.versions import parse_version

#: How alike a dropped file and a new file must be to count as a rename.
RENAME_SIMILARITY = 0.6
_WILDCARD = re.compile(r"[*?\[\]\\]")
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
        return 3 if self.conflicts else 0


def update_service(
    path: Path,
    *,
    to: str | None = None,
    data: dict[str, Any] | None = None,
    sources: Mapping[str, str] | None = None,
    bundle: Path | None = None,
    dry_run: bool = False,
) -> UpdateReport:
    """Bring the service at ``path`` to version ``to`` (default: the newest released).

    ``data`` changes answers (this is how patterns are added and removed); without
    ``to``, a change of answers stays at the service's current version. The answers,
    old and new, must pass ``copier.yml``'s rules; ``sources`` says where each of
    ``data`` came from (default ``--data``), for the error message.

    A service recording a former template source is re-pointed to ``TEMPLATE_SOURCE``.
    """
    service = open_service(path)  # its answers file is checked there
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
    if service.source != TEMPLATE_SOURCE:
        report.source = (service.source, TEMPLATE_SOURCE)
    if is_dirty(service):  # refused even when there is nothing to do: the rule stays simple
        raise InvalidInput(
            f"{service.path}: the git tree has uncommitted changes or untracked files;"
            " an update needs a clean tree so you can review its diff",
            hint="commit or stash your changes, then run it again",
        )
    if not report.changed:
        return report
    if not dry_run:
        return _apply(service, report, new_answers, bundle)
    with tempfile.TemporaryDirectory(prefix="mio-dry-run-") as tmp:
        clone = Path(tmp) / "repo"
        git.clone(service.repo_root, clone, shared=True)
        shadow = replace(service, path=clone / service.prefix, repo_root=clone)
        return replace(_apply(shadow, report, new_answers, bundle), path=service.path)


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
                _relock(service, report)
            if report.source:
                _record_source(service.path / ANSWERS_FILE, report.source[1])
    except BaseException as exc:
        # The tree was clean: going back to the last commit loses nothing of the owner's.
        _roll_back(service)
        if isinstance(exc, MioError | KeyboardInterrupt):
            raise
        text = str(exc).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        if isinstance(exc, CopierError) and "validation error" in message.lower():
            raise InvalidInput(f"{service.path}: {message}") from exc
        if not isinstance(exc, Exception):
            raise
        raise GenerationFailed(
            f"{service.path}: the update failed and was rolled back, nothing changed:"
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


def _record_source(answers_file: Path, source: str) -> None:
    """Record ``source`` as the template source in the answers file, touching nothing else."""
    import json

    text = answers_file.read_text(encoding="utf-8")
    line = "_src_path: " + json.dumps(source)
    updated, found = re.subn(r"(?m)^_src_path:.*$", lambda _: line, text, count=1)
    if not found:
        raise GenerationFailed(f"{answers_file}: no _src_path to re-point")
    answers_file.write_text(updated, encoding="utf-8")


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
    """Keep the owner's edits in files the update deleted (template drops and renames).

    A deleted file identical to a plain (non-Jinja) file of the same name in the old
    version was never edited. Any other is compared with the old version: for a plain
    file at a fixed path, its bytes in the template; for the rest, the old version
    rendered again with the service's answers. Runs inside :func:`offline_template`.
    """
    committed = _committed_blobs(service, report.removed)
    with tempfile.TemporaryDirectory(prefix="mio-old-") as tmp:
        history = Path(tmp) / "history"
        plain, fixed = _plain_template_files(bundle, report.from_version, history)
        suspects = [
            name
            for name in report.removed
            if name in committed and (Path(name).name, committed[name]) not in plain
        ]
        if not suspects:
            return
        bases: dict[str, bytes | None] = {
            name: git.blob(history, fixed[name]) for name in suspects if name in fixed
        }
        rendered = [name for name in suspects if name not in bases]
        if rendered:  # rendering costs a clone and every path of the template
            old = Path(tmp) / "old"
            _render(service.answers, report.from_version, old, only=rendered)
            for name in rendered:
                base_file = old / name
                bases[name] = base_file.read_bytes() if base_file.is_file() else None
        for name in suspects:
            ours = head_content(service, name)
            if ours is None:
                continue
            base = bases[name]
            if base == ours:
                continue  # never edited: the template may drop it
            report.removed.remove(name)
            renamed = _renamed_to(name, base, report.added, service) if base is not None else None
            if renamed is not None and base is not None:
                clean = _carry_edits(service.path / renamed, ours, base, Path(tmp))
                report.carried.append((name, renamed))
                if not clean:
                    report.added.remove(renamed)
                    report.conflicts.append(renamed)
                    report.conflicts.sort()
            else:
                restored = service.path / name
                restored.parent.mkdir(parents=True, exist_ok=True)
                restored.write_bytes(ours)
                report.kept.append(name)


def _committed_blobs(service: Service, names: list[str]) -> dict[str, str]:
    """The git blob id of each file in the service's last commit."""
    if not names:
        return {}
    return git.tree_blobs(service.path, "HEAD", names)


def _plain_template_files(
    bundle: Path, version: str, repo: Path
) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The files a template version copies without rendering, fetched into ``repo``.

    Returns ``(file name, blob id)`` of each, and the blob id of each one whose whole
    path is fixed (no Jinja in it), keyed by its path in a service.
    """
    repo.mkdir()
    git.init(repo, bare=True)
    git.fetch(repo, bundle, f"refs/tags/{version}:refs/tags/{version}")
    plain = set()
    fixed = {}
    for name, blob in git.tree_blobs(repo, version, ["template/"], recursive=True).items():
        if not name.endswith(".jinja") and "{{" not in Path(name).name:
            plain.add((Path(name).name, blob))
            if "{" not in name:
                fixed[name.removeprefix("template/")] = blob
    return plain, fixed


def _render(answers: dict[str, Any], version: str, target: Path, *, only: list[str]) -> None:
    """Render the files ``only`` of template ``version`` with ``answers`` into ``target``.

    Runs inside :func:`offline_template`.
    """
    from copier import run_copy

    run_copy(
        src_path=TEMPLATE_SOURCE,
        dst_path=target,
        data=answers,
        vcs_ref=version,
        defaults=True,
        quiet=True,
        unsafe=False,
        exclude=["*", *(_exactly(name) for name in only)],
    )


def _exactly(name: str) -> str:
    """A gitignore-style pattern that takes back (``!``) exactly the path ``name``."""
    return "!/" + _WILDCARD.sub(lambda match: "\\" + match.group(0), name)


def _renamed_to(old: str, base: bytes, added: list[str], service: Service) -> str | None:
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
            new_text = (service.path / name).read_text(encoding="utf-8")
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
    merged, clean = git.merge_file(
        ours_file, base_file, renamed, ("before updating", "last update", "after updating")
    )
    renamed.write_bytes(merged)
    return clean
