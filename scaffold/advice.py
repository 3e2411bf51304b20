"""Which patterns a service needs: `mio patterns suggest`, and its review of existing services.

Everything here is driven by the catalog: ``patterns/_questions.toml`` holds the questions
about a service's situation, and each pattern's ``[[suggest_when]]`` and
``[[leave_out_when]]`` rules say, with their reasons, which answers call for it and which
rule it out. This module only evaluates them:

- a pattern is suggested when one of its suggest rules holds and none of its leave-out
  rules does; the first suggest rule that holds picks its value (a broker, a gateway);
- a pattern a leave-out rule holds for is left out on purpose, with that rule's reason;
- a question whose ``ask_if`` is not met is not asked, and rules naming it do not hold.

A review (``--path``) answers what it can from the service's answers file (a pattern in
the service implies the questions listing it in ``implied_by``), asks or assumes the rest,
and turns every difference with the suggestion into a finding with the command that fixes it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.answers_file import ANSWERS_FILE, read_answers_file, template_answers
from scaffold.catalog import Pattern, Rule, load_catalog, selected_patterns
from scaffold.errors import InvalidInput, NotAService
from scaffold.project import service_dirs
from scaffold.situation import SituationQuestion, load_situation_questions


@dataclass(frozen=True)
class Answer:
    question: SituationQuestion
    #: ``None``: not asked, because none of the question's ``ask_if`` is answered yes.
    value: bool | None
    #: flag, prompt, default, inferred or not asked
    source: str
    note: str = ""


@dataclass(frozen=True)
class Choice:
    """A pattern to use, with the value picked and the reasons from the rules that hold."""

    pattern: Pattern
    value: str
    reasons: tuple[str, ...]
    alternatives: tuple[str, ...]
    tradeoffs: tuple[str, ...]
    #: The values that serve the same situation (the picked one first).
    acceptable: tuple[str, ...]
    #: The names a review gives to the pattern's absence (from the rules that hold).
    findings: tuple[str, ...]


@dataclass(frozen=True)
class LeftOut:
    pattern: Pattern
    reasons: tuple[str, ...]
    #: True when a leave-out rule holds; False when no answer called for the pattern.
    deliberate: bool
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    answers: tuple[Answer, ...]
    chosen: tuple[Choice, ...]
    left_out: tuple[LeftOut, ...]

    def template_answers(self) -> dict[str, Any]:
        """The answers to ``copier.yml``'s pattern questions this suggestion makes."""
        from scaffold.answers import load_questions

        questions = load_questions()
        answers: dict[str, Any] = {}
        for choice in self.chosen:
            question = questions[choice.pattern.question]
            if question.multiselect:
                answers.setdefault(question.name, []).append(choice.value)
            else:
                answers[question.name] = choice.value
        for name, value in answers.items():
            if isinstance(value, list):  # in copier.yml's order, as a reader expects
                order = list(questions[name].choices or ())
                value.sort(key=lambda v: order.index(v) if v in order else len(order))
        return answers

    def new_command(self, name: str) -> str:
        """The `mio new service` command that creates a service with these patterns."""
        words = ["mio", "new", "service", name]
        for question, value in self.template_answers().items():
            words += [f"--{question.replace('_', '-')}", _joined(value)]
        return shlex.join(words)

    def add_commands(self, path: Path | None = None) -> list[str]:
        """The `mio add` commands that bring an existing service to these patterns."""
        return [add_command(c.pattern, c.value, path) for c in self.chosen]


@dataclass(frozen=True)
class Finding:
    """One difference between a service and the suggestion for its situation."""

    #: add (the pattern is missing), change (another value is needed) or remove
    kind: str
    pattern: str
    problem: str
    reasons: tuple[str, ...]
    command: str


@dataclass(frozen=True)
class Review:
    path: Path
    service: str
    #: The service's answers to copier.yml's pattern questions.
    current: dict[str, Any]
    patterns: tuple[str, ...]
    suggestion: Suggestion
    findings: tuple[Finding, ...]
    assumptions: tuple[Answer, ...] = field(default=())


Ask = Callable[[SituationQuestion], bool]


# --- The questions ------------------------------------------------------------------------


def parse_answer(value: str) -> bool:
    """A yes/no answer given as text (``--answer``-style input, JSON, environment)."""
    lowered = value.strip().lower()
    if lowered in {"y", "yes", "true", "1", "on"}:
        return True
    if lowered in {"n", "no", "false", "0", "off"}:
        return False
    raise InvalidInput(f"answer yes or no; got {value!r}")


def gather_answers(
    given: Mapping[str, bool],
    *,
    ask: Ask | None = None,
    inferred: Mapping[str, str] | None = None,
    questions: Sequence[SituationQuestion] | None = None,
) -> tuple[Answer, ...]:
    """Every question's answer: given, else inferred, else asked (with ``ask``), else default.

    A question none of whose ``ask_if`` is answered yes gets no value: it does not apply.
    """
    questions = load_situation_questions() if questions is None else questions
    unknown = set(given) - {q.id for q in questions}
    if unknown:
        known = ", ".join(q.id for q in questions)
        raise InvalidInput(f"unknown question {sorted(unknown)[0]!r}; questions are: {known}")
    inferred = inferred or {}
    values: dict[str, bool | None] = {}
    answers: list[Answer] = []
    for question in questions:
        if question.ask_if and not any(values.get(name) for name in question.ask_if):
            needed = " or ".join(question.ask_if)
            note = f"applies only when {needed} is yes"
            if question.id in given:
                note = f"answered, but {note}"
            answer = Answer(question, None, "not asked", note)
        elif question.id in given:
            answer = Answer(question, bool(given[question.id]), "flag")
        elif question.id in inferred:
            answer = Answer(question, True, "inferred", inferred[question.id])
        elif ask is not None:
            answer = Answer(question, bool(ask(question)), "prompt")
        else:
            answer = Answer(question, question.default, "default")
        values[question.id] = answer.value
        answers.append(answer)
    return tuple(answers)


# --- The rules ----------------------------------------------------------------------------


def holds(rule: Rule, values: Mapping[str, bool | None]) -> bool:
    """Whether every answer a rule names holds: ``id`` answered yes, ``!id`` answered no."""
    for condition in rule.answers:
        wanted = not condition.startswith("!")
        if values.get(condition.lstrip("!")) is not wanted:
            return False
    return True


def describe(rule: Rule) -> str:
    """A rule's condition in words: ``calls-upstreams and not idempotent-calls``."""
    return " and ".join(f"not {c[1:]}" if c.startswith("!") else c for c in rule.answers)


def suggest(answers: Sequence[Answer], catalog: Mapping[str, Pattern] | None = None) -> Suggestion:
    """The patterns these answers call for, and those left out, each with the reasons."""
    catalog = load_catalog() if catalog is None else catalog
    values = {answer.question.id: answer.value for answer in answers}
    chosen: list[Choice] = []
    left_out: list[LeftOut] = []
    for pattern in catalog.values():
        matching = [rule for rule in pattern.suggest_when if holds(rule, values)]
        vetoes = [rule for rule in pattern.leave_out_when if holds(rule, values)]
        if vetoes:
            left_out.append(
                LeftOut(
                    pattern,
                    tuple(rule.because for rule in vetoes),
                    deliberate=True,
                    findings=_unique(rule.finding for rule in vetoes),
                )
            )
        elif matching:
            chosen.append(_choice(pattern, matching))
        else:
            when = "; or ".join(describe(rule) for rule in pattern.suggest_when)
            reason = (
                f"No answer calls for it (suggested when {when})."
                if when
                else ("No rule suggests it; see `mio patterns show`.")
            )
            left_out.append(LeftOut(pattern, (reason,), deliberate=False))
    return Suggestion(tuple(answers), tuple(chosen), tuple(left_out))


def _choice(pattern: Pattern, matching: list[Rule]) -> Choice:
    value = next((rule.value for rule in matching if rule.value), None)
    if value is None:
        if len(pattern.values) != 1:
            raise ValueError(f"{pattern.id}: the first rule that holds must pick a value")
        value = pattern.values[0]
    agreeing = [rule for rule in matching if rule.value in (None, value)]
    return Choice(
        pattern=pattern,
        value=value,
        reasons=tuple(rule.because for rule in agreeing),
        alternatives=_unique(a for rule in agreeing for a in rule.alternatives),
        tradeoffs=_unique(
            [*(t for r in agreeing for t in r.tradeoffs), *pattern.tradeoffs_for(value)]
        ),
        acceptable=_unique([value, *(v for rule in matching for v in rule.also)]),
        findings=_unique(rule.finding for rule in agreeing),
    )


def _unique(items: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _joined(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def add_command(pattern: Pattern, value: str, path: Path | None = None) -> str:
    words = ["mio", "add", pattern.id]
    if len(pattern.values) > 1:
        words += [f"--{pattern.question}", value]
    if path is not None:
        words += ["--path", str(path)]
    return shlex.join(words)


def remove_command(pattern: Pattern, path: Path | None = None) -> str:
    words = ["mio", "remove", pattern.id]
    if path is not None:
        words += ["--path", str(path)]
    return shlex.join(words)


# --- Reviews of existing services ---------------------------------------------------------


def find_services(path: Path) -> list[Path]:
    """``path`` if it is a service, else every service below it (by their answers files)."""
    if (path / ANSWERS_FILE).is_file():
        return [path]
    if not path.is_dir():
        raise NotAService(f"{path}: not a directory")
    found = list(service_dirs(path))
    if not found:
        raise NotAService(
            f"{path}: no {ANSWERS_FILE} in it or below it; no service generated by mio here"
        )
    return found


def service_answers(path: Path) -> dict[str, Any]:
    """The answers a service records (no ``_`` keys); any template source is fine."""
    data = read_answers_file(path)
    if not isinstance(data.get("service_name"), str):
        raise NotAService(f"{path}: {ANSWERS_FILE} records no service_name")
    return template_answers(data)


def inferred_answers(
    present: Sequence[Pattern], questions: Sequence[SituationQuestion]
) -> dict[str, str]:
    """What a service's patterns say about its situation: question id -> why."""
    ids = [pattern.id for pattern in present]
    inferred: dict[str, str] = {}
    for question in questions:
        implying = [pattern_id for pattern_id in ids if pattern_id in question.implied_by]
        if implying:
            inferred[question.id] = f"{', '.join(implying)} in the service"
    return inferred


def review_service(
    path: Path,
    given: Mapping[str, bool],
    *,
    ask: Callable[[Path, SituationQuestion], bool] | None = None,
    catalog: Mapping[str, Pattern] | None = None,
    questions: Sequence[SituationQuestion] | None = None,
) -> Review:
    """Review one service against the rules: each finding with the command that fixes it."""
    catalog = load_catalog() if catalog is None else catalog
    questions = load_situation_questions() if questions is None else questions
    answers = service_answers(path)
    present = selected_patterns(answers, catalog)
    situation = gather_answers(
        given,
        ask=None if ask is None else (lambda question: ask(path, question)),
        inferred=inferred_answers(present, questions),
        questions=questions,
    )
    suggestion = suggest(situation, catalog)
    pattern_questions = {pattern.question for pattern in catalog.values()}
    current = {name: answers[name] for name in sorted(pattern_questions) if name in answers}
    return Review(
        path=path,
        service=str(answers["service_name"]),
        current=current,
        patterns=tuple(pattern.id for pattern in present),
        suggestion=suggestion,
        findings=tuple(_findings(path, answers, present, suggestion)),
        assumptions=tuple(a for a in situation if a.source in ("default", "inferred")),
    )


def _findings(
    path: Path, answers: Mapping[str, Any], present: Sequence[Pattern], suggestion: Suggestion
) -> Iterable[Finding]:
    have = {pattern.id for pattern in present}
    for choice in suggestion.chosen:
        pattern = choice.pattern
        problem = choice.findings[0] if choice.findings else f"no {pattern.id}"
        if pattern.id not in have:
            yield Finding(
                "add", pattern.id, problem, choice.reasons, add_command(pattern, choice.value, path)
            )
            continue
        current = answers.get(pattern.question)
        if isinstance(current, str) and current not in choice.acceptable:
            yield Finding(
                "change",
                pattern.id,
                f"{problem} ({pattern.question} is {current})",
                choice.reasons,
                add_command(pattern, choice.value, path),
            )
    for left in suggestion.left_out:
        if left.deliberate and left.pattern.id in have:
            problem = left.findings[0] if left.findings else f"{left.pattern.id} is not needed"
            yield Finding(
                "remove", left.pattern.id, problem, left.reasons, remove_command(left.pattern, path)
            )
