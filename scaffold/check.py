"""`mio check`: is each service current, free of conflict markers and of files an update
kept for its owner to move, with a valid answers file? One exit code per finding, for CI.

A kept file is one an update put back because its owner had edited it while the new
template version dropped it (:mod:`scaffold.edit_protection`): it waits to be moved into
its new home and deleted. The check finds them at any template version: the files of the
service that the recorded version does not render but an older released version does.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scaffold import git
from scaffold.answers_file import ANSWERS_FILE
from scaffold.edit_protection import OldVersion, render_version
from scaffold.errors import InvalidAnswer, MioError
from scaffold.history import history_bundle, offline_template, released_versions
from scaffold.lock import LOCK_FILE
from scaffold.project import Service, files_with_markers, open_service
from scaffold.resources import TEMPLATE_SOURCE
from scaffold.versions import parse_version

#: Exit codes of `mio check`, most urgent first (docs/updates.md has the table).
UNCHECKABLE, INVALID_ANSWERS, CONFLICTS, KEPT_FILES, BEHIND = 1, 2, 3, 5, 4


@dataclass
class CheckResult:
    path: Path
    #: The template version the service records (None when its answers file is unusable).
    version: str | None = None
    #: The newest template version this mio ships.
    latest: str | None = None
    problems: list[str] = field(default_factory=list)
    #: Files holding unresolved conflict markers.
    conflicts: list[str] = field(default_factory=list)
    #: Whether an answer in the answers file breaks a rule of copier.yml.
    invalid_answers: bool = False
    #: Whether the service is at an older template version than ``latest``.
    behind: bool = False
    #: Files an update kept (edited by their owner, dropped by the template), to move and delete.
    kept: list[str] = field(default_factory=list)
    #: Whether the service could not be checked (no answers file, no git, unknown version).
    uncheckable: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        """0 ok; else the most urgent finding's code (see :data:`UNCHECKABLE` and the rest)."""
        for flag, code in (
            (self.uncheckable, UNCHECKABLE),
            (self.invalid_answers, INVALID_ANSWERS),
            (bool(self.conflicts), CONFLICTS),
            (bool(self.kept), KEPT_FILES),
            (self.behind, BEHIND),
        ):
            if flag:
                return code
        return 0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path), "ok": self.ok, "exit_code": self.exit_code}


def check_service(path: Path, *, bundle: Path | None = None) -> CheckResult:
    """Check one service; every problem found is listed, none is raised."""
    bundle = history_bundle(bundle)
    versions = released_versions(bundle)
    result = CheckResult(path, latest=versions[-1] if versions else None)
    try:
        service = open_service(path)
    except MioError as exc:
        result.problems.append(exc.message)
        result.invalid_answers = isinstance(exc, InvalidAnswer)
        result.uncheckable = not result.invalid_answers
        return result
    result.version = service.version
    if service.version not in versions:
        result.problems.append(f"records template version {service.version}, unknown to this mio")
        result.uncheckable = True
    elif result.latest and parse_version(service.version) < parse_version(result.latest):
        result.behind = True
        result.problems.append(
            f"behind: at {service.version}, the installed template is {result.latest}"
            " (run `mio update`)"
        )
    result.conflicts = files_with_markers(service)
    if result.conflicts:
        result.problems.append(f"unresolved conflict markers in: {', '.join(result.conflicts)}")
    if service.version in versions:
        older = versions[: versions.index(service.version)]
        result.kept = kept_files(service, bundle, older)
        if result.kept:
            result.problems.append(
                "kept for you to move, then delete (you edited them; the template no longer"
                f" has them): {', '.join(result.kept)}"
            )
    return result


def kept_files(service: Service, bundle: Path, older: list[str]) -> list[str]:
    """The service's files that its recorded version does not render and one of the
    ``older`` versions does (with the service's answers)."""
    if not older:
        return []
    tracked = set(git.listed_files(service.path)) - {ANSWERS_FILE, LOCK_FILE}
    with tempfile.TemporaryDirectory(prefix="mio-check-") as tmp, offline_template(bundle):
        version = OldVersion(TEMPLATE_SOURCE, bundle, service.version, service.answers)
        current = Path(tmp) / "current"
        render_version(version, current)
        candidates = sorted(name for name in tracked if not (current / name).is_file())
        found: set[str] = set()
        for index, ref in enumerate(reversed(older)):
            left = [name for name in candidates if name not in found]
            if not left:
                break
            target = Path(tmp) / f"older-{index}"
            try:
                render_version(
                    OldVersion(TEMPLATE_SOURCE, bundle, ref, service.answers), target, only=left
                )
            except Exception:  # an answer that version did not accept: it made no such file
                continue
            found |= {name for name in left if (target / name).is_file()}
    return sorted(found)
