"""The catalog (patterns/) and copier.yml describe the same choices."""

from __future__ import annotations

import pytest

from scaffold.answers import load_questions
from scaffold.catalog import load_catalog

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
