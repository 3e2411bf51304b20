"""The pattern catalog: one TOML file per pattern under ``patterns/``.

The catalog says what each pattern is and when to choose it; ``copier.yml`` says
which answers exist. A test keeps the two in agreement.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from scaffold.errors import InvalidInput
from scaffold.resources import patterns_dir


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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for name in _LIST_FIELDS:
            data[name] = tuple(data.get(name, ()))
        pattern = Pattern(**data)
        if pattern.id != path.stem:
            raise ValueError(f"{path.name}: id {pattern.id!r} must match the file name")
        patterns[pattern.id] = pattern
    return patterns


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
