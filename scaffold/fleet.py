"""`mio fleet check`: do the services under a directory fit together?

Each service is read from its own files: its answers (``.copier-answers.yml``: the
broker, the events it consumes and the fields its models need), its published contract
(``asyncapi.json``: the events it sends and their fields), its route
(``deploy/route.yaml``: its prefix, and ``calls``, the services it calls) and its code
(paths under another service's prefix in ``src/``). Problems name both sides.

Errors: a consumed event no service publishes; a field a consumer's model needs that the
producer does not send, or sends with another type; a consumer and its producer on
different brokers; two services claiming one route prefix. Warnings: a call to an
upstream no service provides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scaffold.answers_file import ANSWERS_FILE, answers_file_or_none
from scaffold.contracts import CONTRACT_FILE, Contract, read_contract
from scaffold.errors import InvalidInput, MioError
from scaffold.project import service_dirs

#: A string literal in the code that is a path under a gateway prefix: "/api/shipping/items".
_CALLED_PATH = re.compile(r"""["'](/api/[a-z0-9][a-z0-9-]*)(?:/[^"'\s]*)?["']""")


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    #: The services involved, the one with the problem first.
    services: tuple[str, ...]


@dataclass(frozen=True)
class Member:
    """One service of the fleet, as its files describe it."""

    name: str
    path: Path
    messaging: str
    consumes: dict[str, dict[str, str]]
    contract: Contract | None
    prefix: str | None
    calls: tuple[str, ...]
    called_paths: tuple[tuple[str, str], ...]  # (path prefix, where)


@dataclass
class FleetReport:
    services: list[str]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def exit_code(self, *, strict: bool = False) -> int:
        return 1 if self.errors or (strict and self.warnings) else 0

    def as_json(self) -> str:
        return json.dumps(
            {
                "services": self.services,
                "ok": not self.errors,
                "errors": [asdict(p) for p in self.errors],
                "warnings": [asdict(p) for p in self.warnings],
            },
            indent=2,
        )

    def summary(self) -> str:
        lines = [f"error: {p.message}" for p in self.errors]
        lines += [f"warning: {p.message}" for p in self.warnings]
        lines.append(
            f"fleet: {len(self.services)} services ({', '.join(self.services)}),"
            f" {len(self.errors)} errors, {len(self.warnings)} warnings"
        )
        return "\n".join(lines)


def check_fleet(directories: Sequence[Path]) -> FleetReport:
    members = find_members(directories)
    report = FleetReport(sorted(m.name for m in members))
    by_name = {m.name: m for m in members}
    for member in members:
        _check_consumed(member, by_name, report)
    _check_prefixes(members, report)
    _check_calls(members, by_name, report)
    return report


def find_members(directories: Sequence[Path]) -> list[Member]:
    members: dict[Path, Member] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InvalidInput(f"{directory} is not a directory")
        for path in service_dirs(directory):
            member = _read_member(path)
            if member is not None:
                members.setdefault(member.path, member)
    if not members:
        shown = ", ".join(str(d) for d in directories)
        raise InvalidInput(f"no mio service under {shown}: no {ANSWERS_FILE} with a service_name")
    return sorted(members.values(), key=lambda m: m.name)


def _read_member(path: Path) -> Member | None:
    answers = answers_file_or_none(path)
    if answers is None or not answers.get("service_name"):
        return None
    name = str(answers["service_name"])
    consumes = {
        str(item["event"]): {str(k): str(v) for k, v in (item.get("fields") or {}).items()}
        for item in answers.get("consumed_events") or []
        if isinstance(item, dict) and "event" in item
    }
    for event in answers.get("consumes") or []:
        consumes.setdefault(str(event), {})
    contract = None
    if (path / CONTRACT_FILE).is_file():
        try:
            contract = read_contract(path / CONTRACT_FILE)
        except MioError:
            contract = None
    prefix, calls = _read_route(path / "deploy" / "route.yaml")
    return Member(
        name=name,
        path=path,
        messaging=str(answers.get("messaging", "none")),
        consumes=consumes,
        contract=contract,
        prefix=prefix,
        calls=calls,
        called_paths=tuple(_called_paths(path / "src")),
    )


def _read_route(route: Path) -> tuple[str | None, tuple[str, ...]]:
    import yaml

    try:
        data = yaml.safe_load(route.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, ()
    if not isinstance(data, dict):
        return None, ()
    prefix = data.get("prefix")
    calls = data.get("calls") or []
    return (
        str(prefix) if prefix else None,
        tuple(str(c) for c in calls) if isinstance(calls, list) else (),
    )


def _called_paths(source: Path) -> Iterable[tuple[str, str]]:
    if not source.is_dir():
        return
    for file in sorted(source.rglob("*.py")):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in _CALLED_PATH.finditer(line):
                yield match.group(1), f"{file.relative_to(source.parent)}:{number}"


def _check_consumed(member: Member, by_name: dict[str, Member], report: FleetReport) -> None:
    for event, needed in sorted(member.consumes.items()):
        producer_name = event.split(".", 1)[0]
        producer = by_name.get(producer_name)
        if producer is None:
            report.errors.append(
                Problem(
                    "no-producer",
                    f"{member.name} consumes {event}, but no service {producer_name!r} is in"
                    " the fleet",
                    (member.name, producer_name),
                )
            )
            continue
        sent = None if producer.contract is None else producer.contract.events.get(event)
        if sent is None:
            published = ", ".join(sorted(producer.contract.events)) if producer.contract else ""
            why = (
                f"the {CONTRACT_FILE} of {producer.name} publishes {published or 'nothing'}"
                if producer.contract
                else f"{producer.name} has no {CONTRACT_FILE}"
            )
            report.errors.append(
                Problem(
                    "no-producer",
                    f"{member.name} consumes {event}, but {why}",
                    (member.name, producer.name),
                )
            )
            continue
        if producer.messaging != member.messaging:
            report.errors.append(
                Problem(
                    "broker-mismatch",
                    f"{member.name} ({member.messaging}) consumes {event}, but {producer.name}"
                    f" publishes it on {producer.messaging}",
                    (member.name, producer.name),
                )
            )
        for name, kind in needed.items():
            if name not in sent:
                report.errors.append(
                    Problem(
                        "missing-field",
                        f"{member.name}'s model of {event} needs {name} ({kind}), but"
                        f" {producer.name} does not send it",
                        (member.name, producer.name),
                    )
                )
            elif sent[name] != kind:
                report.errors.append(
                    Problem(
                        "type-mismatch",
                        f"{member.name}'s model of {event} reads {name} as {kind}, but"
                        f" {producer.name} sends {sent[name]}",
                        (member.name, producer.name),
                    )
                )


def _check_prefixes(members: Sequence[Member], report: FleetReport) -> None:
    claimed: dict[str, list[str]] = {}
    for member in members:
        if member.prefix:
            claimed.setdefault(member.prefix, []).append(member.name)
    for prefix, names in sorted(claimed.items()):
        if len(names) > 1:
            report.errors.append(
                Problem(
                    "prefix-clash",
                    f"{' and '.join(names)} both claim the route prefix {prefix}",
                    tuple(names),
                )
            )


def _check_calls(
    members: Sequence[Member], by_name: dict[str, Member], report: FleetReport
) -> None:
    prefixes = {m.prefix for m in members if m.prefix}
    for member in members:
        for called in member.calls:
            if called not in by_name:
                report.warnings.append(
                    Problem(
                        "unknown-upstream",
                        f"{member.name} calls {called} (deploy/route.yaml calls), but no"
                        " service provides it",
                        (member.name, called),
                    )
                )
        for path, where in member.called_paths:
            if path == member.prefix or path in prefixes:
                continue
            report.warnings.append(
                Problem(
                    "unknown-upstream",
                    f"{member.name} calls {path} ({where}), but no service provides that prefix",
                    (member.name, path),
                )
            )
