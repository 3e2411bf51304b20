"""`mio check`: is each service current, free of conflict markers, with a valid answers file?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scaffold.errors import InvalidAnswer, MioError
from scaffold.history import history_bundle, released_versions
from scaffold.project import files_with_markers, open_service
from scaffold.versions import parse_version


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

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        """0 ok, 2 an answer breaks a rule (the answers file is input), else 1."""
        if self.ok:
            return 0
        return 2 if self.invalid_answers else 1

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path), "ok": self.ok}


def check_service(path: Path, *, bundle: Path | None = None) -> CheckResult:
    """Check one service; every problem found is listed, none is raised."""
    versions = released_versions(history_bundle(bundle))
    result = CheckResult(path, latest=versions[-1] if versions else None)
    try:
        service = open_service(path)
    except MioError as exc:
        result.problems.append(exc.message)
        result.invalid_answers = isinstance(exc, InvalidAnswer)
        return result
    result.version = service.version
    if service.version not in versions:
        result.problems.append(f"records template version {service.version}, unknown to this mio")
    elif result.latest and parse_version(service.version) < parse_version(result.latest):
        result.problems.append(
            f"behind: at {service.version}, the installed template is {result.latest}"
            " (run `mio update`)"
        )
    result.conflicts = files_with_markers(service)
    if result.conflicts:
        result.problems.append(f"unresolved conflict markers in: {', '.join(result.conflicts)}")
    return result
