"""The pattern catalog: one TOML file per pattern under ``patterns/``.

The catalog says what each pattern is and when to choose it; ``copier.yml`` says
which answers exist. A test keeps the two in agreement.

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
    adds: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    suggest_when: tuple[Rule, ...] = ()
    leave_out_when: tuple[Rule, ...] = ()

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
    "adds",
    "requires",
    "conflicts",
    "notes",
)


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
        pattern = Pattern(**data)
        if pattern.id != path.stem:
            raise ValueError(f"{path.name}: id {pattern.id!r} must match the file name")
        patterns[pattern.id] = pattern
    return patterns


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
