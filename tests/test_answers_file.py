"""The answers file gives back every answer as given, under PyYAML (YAML 1.1, what Copier
reads it with) and a YAML 1.2 reader alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from helpers import ROOT, render
from scaffold.answers import _jinja, validate_answers
from scaffold.errors import InvalidInput

ANSWERS_TEMPLATE = ROOT / "template" / "{{_copier_conf.answers_file}}.jinja"
# Texts a YAML 1.1 or 1.2 reader would take for something else when written unquoted.
TRICKY = [
    "1e3",
    "0o17",
    "0x1F",
    "yes",
    "No",
    "null",
    "~",
    ".inf",
    "2026-01-01",
    "12:30",
    "# not a comment",
    "a: b",
    "- item",
    "[x]",
    "'single'",
    '"double"',
    "back\\slash",
    "semi;colon",
    " padded ",
    "",
    "é ü 😀 中文",
    "{{ 7*7 }}",
]


def yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def assert_round_trip(text: str, answers: dict[str, Any]) -> None:
    for reader in (yaml.safe_load, yaml12):
        loaded = dict(reader(text))
        assert {key: loaded[key] for key in answers} == answers, (reader, text)


@pytest.mark.parametrize("index", range(0, len(TRICKY), 2))
def test_rendered_answers_file_round_trips(copie: Any, index: int) -> None:
    description, owner = TRICKY[index], TRICKY[index + 1]
    answers = {"description": description, "owner": owner, "resilience": ["retry", "fallback"]}
    project = render(copie, **answers)
    text = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert_round_trip(text, {"service_name": "orders", "http_port": 8000, **answers})


@settings(max_examples=300, deadline=None)
@given(
    description=st.text(max_size=200),
    owner=st.text(max_size=40),
    port=st.integers(min_value=1024, max_value=65535),
)
def test_every_valid_answer_round_trips(description: str, owner: str, port: int) -> None:
    answers = {
        "service_name": "orders",
        "description": description,
        "owner": owner,
        "http_port": port,
    }
    try:
        answers = validate_answers(answers)
    except InvalidInput:
        return  # refused before any file is written
    recorded = {"_commit": "v0.2.0", "_src_path": "https://example.invalid/t.git", **answers}
    template = _jinja().from_string(ANSWERS_TEMPLATE.read_text(encoding="utf-8"))
    assert_round_trip(template.render(_copier_answers=recorded), recorded)


def test_answers_file_lines_are_json_values() -> None:
    text = ANSWERS_TEMPLATE.read_text(encoding="utf-8")
    assert "to_json" in text and "to_nice_yaml" not in text


def test_names_reserved_as_modules_get_a_service_package(copie: Any, tmp_path: Path) -> None:
    project = render(copie, service_name="dotenv")
    assert (project / "src" / "dotenv_service" / "app.py").is_file()
