"""The generated README names commands that exist, and lists every setting the service has
(with its default) and no other: checked against the service's own Settings class."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import render, service_settings


def test_generated_readme_names_the_commands_that_exist(copie: Any) -> None:
    readme = (render(copie) / "README.md").read_text(encoding="utf-8")
    assert "or fallback with `mio add`" in readme
    assert "with `mio update`\n(see `mio patterns list`)" not in readme


RESILIENCE = ["retry", "circuit-breaker", "bulkhead", "rate-limit", "fallback"]
_ROW = re.compile(r"^\| `(?P<name>[A-Z0-9_]+)` \| (?P<default>[^|]+) \|")


def _readme_settings(readme: str) -> dict[str, str]:
    """The Configuration table of a generated README: variable -> default as written."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [_ROW.match(line) for line in section.splitlines()]
    return {row["name"]: row["default"].strip() for row in rows if row}


def _value(written: str) -> Any:
    """A default as the README writes it (`3`, `true`, empty, `[]`), as a value."""
    if written == "empty":
        return ""
    text = written.strip("`")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"resilience": RESILIENCE},
        {"resilience": ["retry"], "gateway": "nginx"},
        {"messaging": "redis", "resilience": ["rate-limit", "fallback"]},
        {"messaging": "memory", "gateway": "envoy"},
    ],
    ids=["none", "all-resilience", "retry-nginx", "redis", "memory-envoy"],
)
def test_the_readme_lists_every_setting_with_its_default(
    answers: dict[str, Any], copie: Any, service_python: Path
) -> None:
    project = render(copie, **answers)
    settings = service_settings(service_python, project)
    table = _readme_settings((project / "README.md").read_text(encoding="utf-8"))

    assert sorted(set(settings) - set(table)) == [], "settings missing from the README table"
    assert sorted(set(table) - set(settings)) == [], "README rows with no setting"
    wrong = {
        name: (written, settings[name])
        for name, written in table.items()
        if _value(written) != settings[name]
    }
    assert wrong == {}, "README default (as written) vs the setting's default"
