"""The catalog (patterns/): complete entries, read as data, with the choices of copier.yml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaffold.answers import load_questions
from scaffold.catalog import Pattern, load_catalog, read_catalog

PATTERN_QUESTIONS = ("gateway", "messaging", "resilience")


def test_every_choice_of_copier_yml_has_a_catalog_entry_and_back() -> None:
    questions = load_questions()
    catalog = load_catalog()
    for name in PATTERN_QUESTIONS:
        choices = set(questions[name].choices or ()) - {"none"}
        covered = {v for p in catalog.values() if p.question == name for v in p.values}
        assert choices == covered, (
            f"{name}: copier.yml {sorted(choices)} vs catalog {sorted(covered)}"
        )


def test_every_catalog_entry_answers_a_pattern_question() -> None:
    for pattern in load_catalog().values():
        assert pattern.question in PATTERN_QUESTIONS, pattern.id


@pytest.mark.parametrize("pattern_id", sorted(load_catalog()))
def test_entry_is_complete(pattern_id: str) -> None:
    pattern = load_catalog()[pattern_id]
    assert pattern.title and pattern.summary
    assert pattern.choose_when and pattern.avoid_when and pattern.tradeoffs
    for value in pattern.values:
        assert pattern.additions(value).files, f"{pattern.id} with {value} adds no file"


def test_none_stays_a_choice_for_single_choice_patterns() -> None:
    questions = load_questions()
    for name in ("gateway", "messaging"):
        assert "none" in (questions[name].choices or ())
        assert questions[name].default == "none"


ENTRY = """\
id = "breaker"
title = "Breaker"
summary = "s"
question = "policies"
values = ["breaker", "tripwire"]
"""


def _catalog(tmp_path: Path, text: str) -> dict[str, Pattern]:
    (tmp_path / "breaker.toml").write_text(ENTRY + text)
    return read_catalog(tmp_path)


def test_adds_is_read_as_data_with_what_one_value_adds_beyond_it(tmp_path: Path) -> None:
    pattern = _catalog(
        tmp_path,
        """
[adds]
settings = ["BREAKER_THRESHOLD"]
dependencies = ["circuitbreaker"]
metrics = ["breaker_state"]

[adds.files]
"src/<package>/breaker.py" = "the policy."

[adds.per_value.tripwire]
settings = ["TRIPWIRE_SECONDS"]
""",
    )["breaker"]
    assert pattern.additions("breaker").settings == ("BREAKER_THRESHOLD",)
    tripwire = pattern.additions("tripwire")
    assert tripwire.settings == ("BREAKER_THRESHOLD", "TRIPWIRE_SECONDS")
    assert tripwire.file_paths("orders") == {"src/orders/breaker.py"}
    assert (tripwire.dependencies, tripwire.metrics) == (("circuitbreaker",), ("breaker_state",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('requires = ["retry"]\n', "unknown field 'requires'"),
        ('[adds]\nenv = ["X"]\n', "[adds]: unknown field 'env'"),
        ('[adds]\nfiles = ["a.py"]\n', "`files` must map each path to what it is"),
        ('[adds.per_value.fuse]\nsettings = ["X"]\n', "names no value ['fuse']"),
    ],
)
def test_a_malformed_entry_is_refused_naming_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _catalog(tmp_path, text)
