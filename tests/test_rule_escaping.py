"""Rule: every answer is escaped for the format it lands in; Jinja in an answer is never run.

These go through plain Copier on purpose: the template must be safe for anyone who runs
Copier directly. copier.yml's validators refuse line breaks and control characters in
free text (for Copier and mio alike); what they let through is escaped.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from helpers import render

INJECTION = 'x"\ndependencies = ["evil"]\n[tool.evil]\na = "'


def test_a_description_cannot_inject_toml(copie: Any) -> None:
    for answers in ({"description": INJECTION}, {"owner": 'eve"\nname = "x'}):
        result = copie.copy(extra_answers={"service_name": "orders", **answers})
        assert result.exception is not None
        assert "must be one line of printable text" in str(result.exception)
    project = render(copie, description='x", dependencies = ["evil"] #', owner='eve" = "x')
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == 'x", dependencies = ["evil"] #'
    assert pyproject["project"]["authors"] == [{"name": 'eve" = "x'}]
    assert "evil" not in " ".join(pyproject["project"]["dependencies"])


def test_any_unicode_stays_valid_toml(copie: Any) -> None:
    text = "\U00016800 ünï 中文 😀 'single' \"double\" <tag> & \\ \\u0041"
    project = render(copie, description=text, owner=text)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == text
    assert pyproject["project"]["authors"] == [{"name": text}]


def test_jinja_in_answers_is_never_evaluated(copie: Any) -> None:
    # 7*1111 and 3*3331 would show up as 7777 and 9993 if anything evaluated them.
    project = render(copie, description="{{ 7*1111 }} and {% raw %}", owner="{{ 3*3331 }}")
    readme = (project / "README.md").read_text()
    assert "{{ 7*1111 }}" in readme and "{{ 3*3331 }}" in readme
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["description"] == (
        "{{ 7*1111 }} and {% raw %}"
    )
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(errors="ignore")
            assert "7777" not in text and "9993" not in text, path


def test_every_structured_file_still_parses(copie: Any) -> None:
    project = render(copie, description='a "quoted": {value} # not a comment', owner="o'neil")
    assert_structured_files_parse(project)


def assert_structured_files_parse(project: Path) -> None:
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts:
            continue
        text = path.read_text()
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")
