"""The one model every answer goes through, whatever its source.

Flags, ``--data``, prompts and defaults all end up in :func:`validate_answers`,
which applies the rules of ``copier.yml`` and of the pattern catalog before
Copier writes a byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from scaffold.catalog import Pattern, load_catalog, selected_patterns
from scaffold.errors import InvalidInput
from scaffold.resources import copier_yml

SERVICE_NAME_RULE = (
    "service_name must be a DNS-1123 label: lowercase letters, digits and '-', "
    "starting with a letter, not ending with '-', at most 40 characters"
)
_SERVICE_NAME = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    choices: tuple[str, ...] | None
    multiselect: bool
    default: Any


@cache
def load_copier_yml() -> dict[str, Any]:
    import yaml  # Copier depends on PyYAML; imported here to keep `mio --help` fast.

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    loaded: dict[str, Any] = yaml.load(copier_yml().read_text(encoding="utf-8"), Loader=loader)
    return loaded


@cache
def load_questions() -> dict[str, Question]:
    """The questions of ``copier.yml`` that a user answers (not settings, not computed)."""
    raw = load_copier_yml()
    questions: dict[str, Question] = {}
    for name, spec in raw.items():
        if name.startswith("_") or not isinstance(spec, dict) or spec.get("when") is False:
            continue
        choices = spec.get("choices")
        if isinstance(choices, dict):
            choices = list(choices.values())
        questions[name] = Question(
            name=name,
            type=spec.get("type", "str"),
            help=spec.get("help", ""),
            choices=tuple(str(c) for c in choices) if choices is not None else None,
            multiselect=bool(spec.get("multiselect", False)),
            default=spec.get("default"),
        )
    return questions


def parse_data(items: list[str]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` items into answers; values are YAML, as with Copier's ``--data``."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--data takes KEY=VALUE, got {item!r}")
        try:
            data[key.strip()] = yaml.load(value, Loader=loader) if value else ""
        except yaml.YAMLError:
            raise InvalidInput(f"--data {key}: the value is not valid YAML") from None
    return data


def split_list(value: Any) -> list[str]:
    """A multiselect answer from a list, or from a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part) for part in value]
    raise InvalidInput(f"expected a list of choices, got {value!r}")


def validate_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check every rule; return the answers normalised for Copier."""
    questions = load_questions()
    answers: dict[str, Any] = {}
    for name, value in raw.items():
        question = questions.get(name)
        if question is None:
            known = ", ".join(questions)
            raise InvalidInput(f"unknown question {name!r}; questions are: {known}")
        answers[name] = _check(question, value)
    if "service_name" not in answers:
        raise InvalidInput("service_name is required")
    check_pattern_rules(answers)
    return answers


def check_service_name(value: Any) -> str:
    if not isinstance(value, str) or not _SERVICE_NAME.fullmatch(value):
        raise InvalidInput(f"{SERVICE_NAME_RULE}; got {value!r}")
    return value


def _check(question: Question, value: Any) -> Any:
    name = question.name
    if name == "service_name":
        return check_service_name(value)
    if question.multiselect:
        values = split_list(value)
        unknown = [v for v in values if question.choices is None or v not in question.choices]
        if unknown:
            raise InvalidInput(_choice_rule(question, unknown[0]))
        return list(dict.fromkeys(values))
    if question.choices is not None:
        if str(value) not in question.choices:
            raise InvalidInput(_choice_rule(question, value))
        return str(value)
    if question.type == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidInput(f"{name} must be a whole number; got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number; got {value!r}") from None
        if name == "http_port" and not 1024 <= number <= 65535:
            raise InvalidInput(f"http_port must be between 1024 and 65535; got {number}")
        return number
    return _check_text(name, value)


def _check_text(name: str, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > _TEXT_LIMIT or any(not ch.isprintable() for ch in text):
        raise InvalidInput(
            f"{name} must be one line of printable text, at most {_TEXT_LIMIT} characters"
        )
    return text


def _choice_rule(question: Question, value: Any) -> str:
    choices = ", ".join(question.choices or ())
    return f"{question.name} must be one of: {choices}; got {value!r}"


def check_pattern_rules(
    answers: Mapping[str, Any], catalog: Mapping[str, Pattern] | None = None
) -> None:
    """Rules between patterns, as the catalog states them (requires / conflicts)."""
    catalog = load_catalog() if catalog is None else catalog
    chosen = {p.id for p in selected_patterns(answers, catalog)}
    for pattern_id in sorted(chosen):
        pattern = catalog[pattern_id]
        for needed in pattern.requires:
            if needed not in chosen:
                raise InvalidInput(f"pattern {pattern_id!r} requires {needed!r}; choose it too")
        for clash in pattern.conflicts:
            if clash in chosen:
                raise InvalidInput(f"pattern {pattern_id!r} conflicts with {clash!r}; choose one")
