"""The questions about a service's situation that `mio patterns suggest` asks.

They are data, in ``patterns/_questions.toml``; the patterns' rules name them (see
:mod:`scaffold.advice`). Kept apart from the advice so that the CLI can turn them
into flags without importing the rest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scaffold.resources import patterns_dir

QUESTIONS_FILE = "_questions.toml"


@dataclass(frozen=True)
class SituationQuestion:
    """A yes/no question about a service's situation (``patterns/_questions.toml``)."""

    id: str
    text: str
    help: str
    default: bool
    ask_if: tuple[str, ...] = ()
    implied_by: tuple[str, ...] = ()


@cache
def load_situation_questions() -> tuple[SituationQuestion, ...]:
    """The questions of the installed catalog, in the order they are asked."""
    return read_situation_questions(patterns_dir())


def read_situation_questions(directory: Path) -> tuple[SituationQuestion, ...]:
    path = directory / QUESTIONS_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    questions: list[SituationQuestion] = []
    for raw in data.get("question", []):
        where = f"{QUESTIONS_FILE}: question {raw.get('id', len(questions) + 1)!r}"
        try:
            question = SituationQuestion(
                id=raw["id"],
                text=raw["text"],
                help=raw.get("help", ""),
                default=raw["default"],
                ask_if=tuple(raw.get("ask_if", ())),
                implied_by=tuple(raw.get("implied_by", ())),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where} needs id, text and default ({exc})") from None
        if not isinstance(question.default, bool):
            raise ValueError(f"{where}: default must be true or false")
        known = {q.id for q in questions}
        if question.id in known:
            raise ValueError(f"{where} is defined twice")
        if not set(question.ask_if) <= known:
            raise ValueError(f"{where}: ask_if must name questions asked before it")
        questions.append(question)
    return tuple(questions)
