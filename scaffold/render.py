"""Plain-text views of the catalog and of command results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scaffold.catalog import Additions, Pattern

if TYPE_CHECKING:
    from scaffold.advice import Answer, Review, Suggestion
    from scaffold.explain import Explanation


def flag_for(pattern: Pattern) -> str:
    values = "|".join(pattern.values)
    return f"--{pattern.question} {values}"


def pattern_table(patterns: list[Pattern]) -> str:
    if not patterns:
        return "No patterns in the catalog."
    rows = [("ID", "FLAG", "SUMMARY")] + [(p.id, flag_for(p), p.summary) for p in patterns]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(
        f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}".rstrip() for row in rows
    )


def pattern_details(pattern: Pattern) -> str:
    lines = [
        f"{pattern.title} ({pattern.id})",
        "",
        pattern.summary,
        "",
        f"Choose with: {flag_for(pattern)}",
    ]
    for heading, items in (
        ("Choose it when", pattern.choose_when),
        ("Avoid it when", pattern.avoid_when),
        ("Trade-offs", pattern.tradeoffs),
    ):
        if items:
            lines += ["", f"{heading}:"] + [f"  - {item}" for item in items]
    lines += ["", "What it adds to a service:", *_additions_text(pattern.adds)]
    for value, extra in pattern.adds_per_value:
        lines += [f"  With {value}, also:", *_additions_text(extra, "  ")]
    if pattern.notes:
        lines += ["", "Notes:"] + [f"  - {item}" for item in pattern.notes]
    return "\n".join(lines)


def _additions_text(adds: Additions, indent: str = "") -> list[str]:
    """Files with what each is, then the settings, dependencies and metrics by name."""
    lines = [f"{indent}  - {path}: {what}" for path, what in adds.files]
    for heading, names in (
        ("settings (with the service's prefix)", adds.settings),
        ("dependencies", adds.dependencies),
        ("metrics", adds.metrics),
    ):
        if names:
            lines.append(f"{indent}  - {heading}: {', '.join(names)}")
    return lines + [f"{indent}  - {item}" for item in adds.also]


# --- mio patterns suggest -------------------------------------------------------------------

_WIDTH = 100


def _wrapped(text: str, indent: str, first: str | None = None) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def answers_text(answers: Sequence[Answer]) -> list[str]:
    width = max((len(a.question.id) for a in answers), default=0)
    lines = []
    for answer in answers:
        source = answer.source + (f": {answer.note}" if answer.note else "")
        lines.append(f"  {answer.question.id.ljust(width)}  {_yes_no(answer.value):3}  ({source})")
    return lines


def suggestion_text(suggestion: Suggestion, name: str) -> str:
    lines = ["Answers:", *answers_text(suggestion.answers), ""]
    if suggestion.chosen:
        lines.append("Use:")
    for choice in suggestion.chosen:
        pattern = choice.pattern
        lines.append(f"  {pattern.id} (--{pattern.question} {choice.value}): {pattern.title}")
        for reason in choice.reasons:
            lines += _wrapped(reason, "      ", "    why: ")
        for tradeoff in choice.tradeoffs:
            lines += _wrapped(tradeoff, "      ", "    cost: ")
        for alternative in choice.alternatives:
            lines += _wrapped(alternative, "      ", "    instead: ")
    if not suggestion.chosen:
        lines.append("Use: no pattern; the plain service (timeouts on every outbound call).")
    deliberate = [left for left in suggestion.left_out if left.deliberate]
    needless = [left for left in suggestion.left_out if not left.deliberate]
    for heading, group in (("Left out on purpose:", deliberate), ("Not needed:", needless)):
        if group:
            lines += ["", heading]
        for left in group:
            for i, reason in enumerate(left.reasons):
                first = f"  {left.pattern.id}: " if i == 0 else "    "
                lines += _wrapped(reason, "    ", first)
    lines += ["", "Create it:", f"  {suggestion.new_command(name)}"]
    adds = suggestion.add_commands()
    if adds:
        lines += [
            "Or add to an existing service (commit after each: `mio add` needs a clean folder):",
            *(f"  {command}" for command in adds),
        ]
    return "\n".join(lines)


def _answers_json(answers: Sequence[Answer]) -> dict[str, Any]:
    return {
        a.question.id: {
            "value": a.value,
            "source": a.source,
            **({"note": a.note} if a.note else {}),
        }
        for a in answers
    }


def suggestion_json(suggestion: Suggestion, name: str) -> dict[str, Any]:
    return {
        "answers": _answers_json(suggestion.answers),
        "patterns": [
            {
                "id": c.pattern.id,
                "question": c.pattern.question,
                "value": c.value,
                "reasons": list(c.reasons),
                "tradeoffs": list(c.tradeoffs),
                "alternatives": list(c.alternatives),
                "catalog": f"patterns/{c.pattern.id}.toml",
            }
            for c in suggestion.chosen
        ],
        "left_out": [
            {"id": left.pattern.id, "deliberate": left.deliberate, "reasons": list(left.reasons)}
            for left in suggestion.left_out
        ],
        "answers_for_template": suggestion.template_answers(),
        "command": suggestion.new_command(name),
        "add_commands": suggestion.add_commands(),
    }


def review_text(reviews: Sequence[Review]) -> str:
    lines: list[str] = []
    for review in reviews:
        now = "; ".join(f"{k} {_joined(v) or 'none'}" for k, v in review.current.items())
        lines.append(f"{review.service} ({review.path}): {now}")
        inferred = [a for a in review.assumptions if a.source == "inferred"]
        assumed = [a for a in review.assumptions if a.source != "inferred"]
        if inferred:
            text = ", ".join(f"{a.question.id} ({a.note})" for a in inferred)
            lines += _wrapped(f"inferred yes: {text}", "    ", "  ")
        if assumed:
            text = ", ".join(f"{a.question.id} {_yes_no(a.value)}" for a in assumed)
            lines += _wrapped(f"assumed (defaults; answer by flag to change): {text}", "    ", "  ")
        if not review.findings:
            lines.append("  no findings: the service has what its answers call for")
        for finding in review.findings:
            lines.append(f"  - {finding.problem}")
            for reason in finding.reasons:
                lines += _wrapped(reason, "        ", "      why: ")
            lines.append(f"      fix: {finding.command}")
        lines.append("")
    total = sum(len(review.findings) for review in reviews)
    noun = "service" if len(reviews) == 1 else "services"
    lines.append(f"{len(reviews)} {noun} reviewed, {total} finding{'' if total == 1 else 's'}.")
    return "\n".join(lines)


def review_json(reviews: Sequence[Review]) -> list[dict[str, Any]]:
    return [
        {
            "path": str(review.path),
            "service": review.service,
            "answers_file": review.current,
            "patterns": list(review.patterns),
            "situation": _answers_json(review.suggestion.answers),
            "findings": [
                {
                    "kind": f.kind,
                    "pattern": f.pattern,
                    "problem": f.problem,
                    "reasons": list(f.reasons),
                    "command": f.command,
                }
                for f in review.findings
            ],
        }
        for review in reviews
    ]


def _joined(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


# --- mio explain ----------------------------------------------------------------------------


def explanation_text(e: Explanation) -> str:
    head = e.path if e.line is None else f"{e.path}:{e.line}: {(e.text or '').strip()}"
    lines = [head]
    if e.source is None:
        lines.append(
            "  not from the template: no template file makes this path (the owners' own file,"
            " or one of another template version)"
        )
        return "\n".join(lines)
    lines.append(f"  template file: {e.source}")
    if e.line is not None and e.source_line is None and (e.text or "").strip():
        lines.append(
            "  line: no template line makes it (the owners' edit, or another template version)"
        )
    elif e.source_line is not None:
        lines.append(f"  template line: {e.source_line}")
    if not e.conditions:
        what = "line" if e.source_line is not None else "file"
        lines.append(f"  why: every service has this {what}; no question selects it")
    for c in e.conditions:
        place = "in its file name" if c.where == e.source else f"at {c.where}"
        lines.append(f"  why: {{% if {c.expression} %}} {place}")
        if c.added_by:
            lines.append(f"    present when {_choices_text(c.added_by)}")
        if c.removed_by:
            lines.append(f"    present unless {_choices_text(c.removed_by)}")
    for question, value in e.answers.items():
        lines.append(f"  this service: {question} = {_joined(value) or '[]'}")
    for question, help_text in e.questions.items():
        lines.append(f"  question {question}: {help_text}")
    for pattern_id, note in e.catalog.items():
        lines.append(
            f"  pattern {pattern_id} ({note['title']}): {note['catalog']}, `{note['show']}`"
        )
        for item in note["adds"]:
            lines += _wrapped(item, "      ", "    adds: ")
    return "\n".join(lines)


def _choices_text(pairs: Sequence[tuple[str, str]]) -> str:
    by_question: dict[str, list[str]] = {}
    for question, value in pairs:
        by_question.setdefault(question, []).append(value)
    return "; or ".join(f"{q} is {' or '.join(values)}" for q, values in by_question.items())


def explanation_json(e: Explanation) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(e)
