"""The pattern catalog: one TOML file per pattern under ``patterns/``.

The catalog says what each pattern is and when to choose it; ``copier.yml`` says
which answers exist. A test keeps the two in agreement.

Each entry lists, as data, what the pattern adds to a service (``[adds]``): files,
settings (environment variables without the service's prefix), dependencies (names in
``pyproject.toml``) and metrics. A test renders services with and without each pattern
and checks the difference is exactly that list.

Rules between patterns (one needs or excludes another) are not the catalog's: they are
``copier.yml`` validators, so plain Copier and mio refuse the same answers.

Files whose name starts with ``_`` are not patterns: ``_questions.toml`` holds the
questions `mio patterns suggest` asks, which the patterns' rules name (see
:mod:`scaffold.advice`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

from scaffold.errors import InvalidInput
from scaffold.resources import patterns_dir


@dataclass(frozen=True)
class Rule:
    """When `mio patterns suggest` suggests a pattern (or leaves it out on purpose).

    ``answers`` names situation questions that must all hold: ``"id"`` answered yes,
    ``"!id"`` answered no. ``value`` picks one of the pattern's values (a broker);
    the first rule that holds picks it, and ``also`` lists the values that serve the
    same situation (a review does not ask a service to switch between them).
    ``finding`` names the problem a review reports when a service lacks the pattern
    (a suggest rule) or has it (a leave-out rule).
    """

    answers: tuple[str, ...]
    because: str
    value: str | None = None
    also: tuple[str, ...] = ()
    finding: str | None = None
    alternatives: tuple[str, ...] = ()
    tradeoffs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Additions:
    """What a pattern adds to a service, as data (``[adds]`` in its catalog entry).

    ``files`` pairs each path (``<package>`` stands for the service's package) with what it
    is; ``settings`` are environment variable names without the service's prefix;
    ``dependencies`` are project names as ``pyproject.toml`` lists them; ``metrics`` are
    the names the service's ``/metrics`` shows. ``also`` says in words what the lists
    cannot (routes, behaviour).
    """

    files: tuple[tuple[str, str], ...] = ()
    settings: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    def __add__(self, other: Additions) -> Additions:
        return Additions(
            files=self.files + other.files,
            settings=self.settings + other.settings,
            dependencies=self.dependencies + other.dependencies,
            metrics=self.metrics + other.metrics,
            also=self.also + other.also,
        )

    def file_paths(self, package: str) -> set[str]:
        """The added files' paths in a service whose package is ``package``."""
        return {path.replace("<package>", package) for path, _ in self.files}


@dataclass(frozen=True)
class Pattern:
    id: str
    title: str
    summary: str
    #: The ``copier.yml`` question this pattern answers.
    question: str
    #: The answer values of that question that select this pattern.
    values: tuple[str, ...]
    choose_when: tuple[str, ...] = ()
    avoid_when: tuple[str, ...] = ()
    tradeoffs: tuple[str, ...] = ()
    #: What every value of the pattern adds.
    adds: Additions = Additions()
    #: What one value adds beyond that (a gateway engine's files, a broker's client).
    adds_per_value: tuple[tuple[str, Additions], ...] = ()
    notes: tuple[str, ...] = field(default=())
    suggest_when: tuple[Rule, ...] = ()
    leave_out_when: tuple[Rule, ...] = ()

    def additions(self, value: str | None = None) -> Additions:
        """What choosing the pattern with ``value`` adds (the first value when None)."""
        value = self.values[0] if value is None else value
        return self.adds + dict(self.adds_per_value).get(value, Additions())

    def tradeoffs_for(self, value: str | None) -> tuple[str, ...]:
        """The trade-offs that apply to ``value``: one starting with values and a colon
        (``redis: ...``, ``redis, nats: ...``) is about those values only."""
        kept = []
        for tradeoff in self.tradeoffs:
            head, colon, _ = tradeoff.partition(":")
            about = {name.strip() for name in head.split(",")}
            if colon and about <= set(self.values) and value not in about:
                continue
            kept.append(tradeoff)
        return tuple(kept)


_RULE_FIELDS = ("suggest_when", "leave_out_when")
_LIST_FIELDS = (
    "values",
    "choose_when",
    "avoid_when",
    "tradeoffs",
    "notes",
)
_ADDS_LISTS = ("settings", "dependencies", "metrics", "also")


@cache
def load_catalog() -> dict[str, Pattern]:
    """Every pattern of the installed catalog, by id, in file-name order."""
    return read_catalog(patterns_dir())


def read_catalog(directory: Path) -> dict[str, Pattern]:
    """Every pattern of the catalog in ``directory``, by id, in file-name order."""
    patterns: dict[str, Pattern] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for name in _LIST_FIELDS:
            data[name] = tuple(data.get(name, ()))
        for name in _RULE_FIELDS:
            data[name] = tuple(_rule(path, name, raw) for raw in data.get(name, ()))
        unknown = set(data) - {f.name for f in fields(Pattern)}
        if unknown:
            raise ValueError(f"{path.name}: unknown field {sorted(unknown)[0]!r}")
        adds = dict(data.pop("adds", {}))
        per_value = adds.pop("per_value", {})
        data["adds"] = _additions(path, "[adds]", adds)
        data["adds_per_value"] = tuple(
            (value, _additions(path, f"[adds.per_value.{value}]", raw))
            for value, raw in per_value.items()
        )
        pattern = Pattern(**data)
        if pattern.id != path.stem:
            raise ValueError(f"{path.name}: id {pattern.id!r} must match the file name")
        unknown_values = {value for value, _ in pattern.adds_per_value} - set(pattern.values)
        if unknown_values:
            raise ValueError(
                f"{path.name}: [adds.per_value] names no value {sorted(unknown_values)}"
            )
        patterns[pattern.id] = pattern
    return patterns


def _additions(path: Path, where: str, raw: Mapping[str, object]) -> Additions:
    unknown = set(raw) - {"files", *_ADDS_LISTS}
    if unknown:
        raise ValueError(f"{path.name}: {where}: unknown field {sorted(unknown)[0]!r}")
    files = raw.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise ValueError(f"{path.name}: {where}: `files` must map each path to what it is")
    lists = {
        name: _strings(raw.get(name, []), f"{path.name}: {where} {name}") for name in _ADDS_LISTS
    }
    return Additions(files=tuple(files.items()), **lists)


def _rule(path: Path, kind: str, raw: Mapping[str, object]) -> Rule:
    where = f"{path.name}: [[{kind}]]"
    unknown = set(raw) - {f.name for f in fields(Rule)}
    if unknown:
        raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    because = _text(raw, "because", where)
    if not because:
        raise ValueError(f"{where} needs a `because` sentence")
    return Rule(
        answers=_strings(raw.get("answers"), f"{where} answers", required=True),
        because=because,
        value=_text(raw, "value", where),
        also=_strings(raw.get("also", []), f"{where} also"),
        finding=_text(raw, "finding", where),
        alternatives=_strings(raw.get("alternatives", []), f"{where} alternatives"),
        tradeoffs=_strings(raw.get("tradeoffs", []), f"{where} tradeoffs"),
    )


def _text(raw: Mapping[str, object], name: str, where: str) -> str | None:
    text = raw.get(name)
    if text is None or isinstance(text, str):
        return text
    raise ValueError(f"{where}: `{name}` must be a string")


def _strings(value: object, where: str, *, required: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    if required and not value:
        raise ValueError(f"{where} must name at least one answer")
    return tuple(value)


def get_pattern(pattern_id: str, catalog: Mapping[str, Pattern] | None = None) -> Pattern:
    catalog = load_catalog() if catalog is None else catalog
    try:
        return catalog[pattern_id]
    except KeyError:
        known = ", ".join(catalog) or "none"
        raise InvalidInput(f"unknown pattern {pattern_id!r}; known patterns: {known}") from None


def patterns_for(question: str) -> list[Pattern]:
    return [p for p in load_catalog().values() if p.question == question]


def selected_patterns(
    answers: Mapping[str, object], catalog: Mapping[str, Pattern] | None = None
) -> list[Pattern]:
    """The catalog patterns a set of answers selects."""
    chosen: list[Pattern] = []
    for pattern in (load_catalog() if catalog is None else catalog).values():
        answer = answers.get(pattern.question)
        values = answer if isinstance(answer, list) else [answer]
        if any(value in pattern.values for value in values):
            chosen.append(pattern)
    return chosen
