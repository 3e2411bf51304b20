"""Options and arguments with a fixed set of values: their help and their completion.

The values come from the data that decides them: ``copier.yml``'s choices for the
questions, the pattern catalog for pattern ids and gateway engines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Completer = Callable[[str], list[str]]


def question_choices(question: str) -> tuple[str, ...]:
    from scaffold.answers import choice_values

    return choice_values(question)


def pattern_ids() -> tuple[str, ...]:
    from scaffold.catalog import load_catalog

    return tuple(load_catalog())


def engine_names() -> tuple[str, ...]:
    from scaffold.catalog import get_pattern

    return get_pattern("api-gateway").values


def listed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _matching(values: Iterable[str], incomplete: str) -> list[str]:
    return [value for value in values if value.startswith(incomplete)]


def complete_question(question: str) -> Completer:
    """Completion of one choice of ``question``."""
    return lambda incomplete: _matching(question_choices(question), incomplete)


def complete_question_list(question: str) -> Completer:
    """Completion of the last item of a comma-separated list of ``question``'s choices."""

    def complete(incomplete: str) -> list[str]:
        head, _, last = incomplete.rpartition(",")
        taken = set(head.split(",")) if head else set()
        prefix = head + "," if head else ""
        free = [value for value in question_choices(question) if value not in taken]
        return [prefix + value for value in _matching(free, last)]

    return complete


def complete_pattern(incomplete: str) -> list[str]:
    return _matching(pattern_ids(), incomplete)


def complete_engine(incomplete: str) -> list[str]:
    return _matching(engine_names(), incomplete)


def complete_pattern_value(incomplete: str) -> list[str]:
    """``mio add --value``: a value of any pattern that has several."""
    from scaffold.catalog import load_catalog

    values = {v for p in load_catalog().values() if len(p.values) > 1 for v in p.values}
    return _matching(sorted(values), incomplete)


def complete_data(incomplete: str) -> list[str]:
    """``--data KEY=VALUE``: the question names, then the choices of a question that has them."""
    from scaffold.answers import load_questions

    key, sep, value = incomplete.partition("=")
    questions = load_questions()
    if not sep:
        return [f"{name}=" for name in _matching(questions, key)]
    question = questions.get(key)
    if question is None or not question.choices:
        return []
    return [f"{key}={choice}" for choice in _matching(question_choices(key), value)]


def examples(*lines: str) -> str:
    """An ``Examples:`` block that help output never re-wraps (Click's ``\\b`` marker)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
