"""Each catalog entry's ``[adds]`` is exactly what the pattern adds to a service.

A service is rendered with and without the pattern (every other answer the same); the
difference in files, settings (from the service's own ``Settings`` class), dependencies
(``pyproject.toml``) and metrics (the names defined or named in its source) must be the
entry's list, no more and no less.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from helpers import render, service_settings
from scaffold.answers import load_questions
from scaffold.catalog import Additions, Pattern, load_catalog

PACKAGE = "orders"
#: Metrics the source defines: prometheus_client adds `_total` to a counter's name.
_DEFINED = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Render = Callable[..., Path]


@pytest.fixture(scope="module")
def rendered(copie_session: Any) -> Render:
    """Render once per set of answers within this module."""
    services: dict[str, Path] = {}

    def get(**answers: Any) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in services:
            services[key] = render(copie_session, **answers)
        return services[key]

    return get


def _answer(pattern: Pattern, values: Iterable[str]) -> dict[str, Any]:
    values = list(values)
    if load_questions()[pattern.question].multiselect:
        return {pattern.question: values}
    (value,) = values
    return {pattern.question: value}


def _files(project: Path) -> set[str]:
    """Every file's path, written as the catalog writes it (`src/<package>/...`)."""
    package = f"src/{PACKAGE}/"
    paths = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    return {
        f"src/<package>/{p.removeprefix(package)}" if p.startswith(package) else p for p in paths
    }


def _dependencies(project: Path) -> set[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    names = set()
    for requirement in pyproject["project"]["dependencies"]:
        match = _NAME.match(requirement)
        assert match, requirement
        names.add(match.group().lower())
    return names


def _source(project: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(project.rglob("src/**/*.py")))


def _defined_metrics(source: str) -> set[str]:
    return {
        name if kind != "Counter" or name.endswith("_total") else f"{name}_total"
        for kind, name in _DEFINED.findall(source)
    }


def _in_source(metric: str, source: str) -> bool:
    return metric in source or metric in _defined_metrics(source)


def _settings(python: Path, project: Path) -> set[str]:
    prefix = f"{PACKAGE.upper()}_"
    return {name.removeprefix(prefix) for name in service_settings(python, project)}


def _difference(kind: str, listed: Iterable[str], added: set[str], removed: set[str]) -> str:
    """What differs between the catalog's list and the rendered services, said exactly."""
    listed = set(listed)
    lines = []
    if listed - added:
        lines.append(
            f"  {kind} the catalog lists but the pattern does not add: {sorted(listed - added)}"
        )
    if added - listed:
        lines.append(
            f"  {kind} the pattern adds but the catalog does not list: {sorted(added - listed)}"
        )
    if removed:
        lines.append(f"  {kind} the pattern takes away: {sorted(removed)}")
    return "\n".join(lines)


def _compare(adds: Additions, with_it: Path, without: Path, python: Path) -> list[str]:
    """Each way the rendered difference departs from ``adds`` (none: they agree)."""
    problems = []
    files_with, files_without = _files(with_it), _files(without)
    problems.append(
        _difference(
            "files",
            adds.file_paths("<package>"),
            files_with - files_without,
            files_without - files_with,
        )
    )
    settings_with, settings_without = _settings(python, with_it), _settings(python, without)
    problems.append(
        _difference(
            "settings",
            adds.settings,
            settings_with - settings_without,
            settings_without - settings_with,
        )
    )
    deps_with, deps_without = _dependencies(with_it), _dependencies(without)
    problems.append(
        _difference(
            "dependencies",
            (name.lower() for name in adds.dependencies),
            deps_with - deps_without,
            deps_without - deps_with,
        )
    )
    source_with, source_without = _source(with_it), _source(without)
    named = {
        m for m in adds.metrics if _in_source(m, source_with) and not _in_source(m, source_without)
    }
    defined = _defined_metrics(source_with) - _defined_metrics(source_without)
    problems.append(
        _difference(
            "metrics",
            adds.metrics,
            named | defined,
            _defined_metrics(source_without) - _defined_metrics(source_with),
        )
    )
    return [problem for problem in problems if problem]


CASES = [
    pytest.param(pattern.id, value, id=f"{pattern.id}-{value}")
    for pattern in load_catalog().values()
    for value in pattern.values
]


@pytest.mark.parametrize(("pattern_id", "value"), CASES)
def test_the_catalog_lists_exactly_what_a_pattern_adds(
    pattern_id: str, value: str, rendered: Render, service_python: Path
) -> None:
    pattern = load_catalog()[pattern_id]
    without = rendered()
    with_it = rendered(**_answer(pattern, [value]))

    problems = _compare(pattern.additions(value), with_it, without, service_python)

    assert not problems, (
        f"patterns/{pattern_id}.toml [adds] (with {pattern.question}={value}) differs from "
        "what a service gains with it:\n" + "\n".join(problems)
    )


def test_all_resilience_patterns_together_add_what_their_entries_list(
    rendered: Render, service_python: Path
) -> None:
    patterns = [p for p in load_catalog().values() if p.question == "resilience"]
    together = Additions()
    for pattern in patterns:
        together = together + pattern.additions()
    every = [v for p in patterns for v in p.values]

    problems = _compare(together, rendered(resilience=every), rendered(), service_python)

    assert not problems, "the resilience entries together:\n" + "\n".join(problems)
