"""Plain-text summaries of updates and checks, one block per service."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scaffold.batch import Outcome
from scaffold.check import CheckResult
from scaffold.update import UpdateReport


def shown(path: Path) -> str:
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return str(relative) if str(relative) != "." else "."


def update_summary(outcomes: Sequence[Outcome[UpdateReport]]) -> str:
    return "\n".join(_update_block(outcome) for outcome in outcomes)


def _update_block(outcome: Outcome[UpdateReport]) -> str:
    report = outcome.result
    if report is None:
        lines = [f"{shown(outcome.path)}: error: {outcome.error}"]
        return "\n".join(lines + ([f"  hint: {outcome.hint}"] if outcome.hint else []))
    head = f"{shown(report.path)}: "
    if not report.changed:
        return head + f"up to date at {report.to_version}, nothing to do"
    verb = "would update" if report.dry_run else "updated"
    if report.from_version == report.to_version:
        head += f"{verb} answers at {report.to_version}"
    else:
        head += f"{verb} {report.from_version} -> {report.to_version}"
    lines = [head]
    if report.source:
        lines.append(f"  template source: {report.source[0]} -> {report.source[1]}")
    for name, (before, after) in sorted(report.answers.items()):
        lines.append(f"  answer {name}: {_value(before)} -> {_value(after)}")
    for label, names in (
        ("updated", report.updated),
        ("added", report.added),
        ("removed", report.removed),
    ):
        lines += [f"  {label:9} {name}" for name in names]
    lines += [
        f"  renamed   {old} -> {new} (your edits carried over)" for old, new in report.carried
    ]
    lines += [
        f"  kept      {name} (you edited it; the template no longer has it: review or delete it)"
        for name in report.kept
    ]
    lines += [f"  CONFLICT  {name}" for name in report.conflicts]
    if report.conflicts:
        lines.append(
            "  resolve the <<<<<<< / >>>>>>> markers in the files above, then `git add` them"
        )
        if report.lock_pending:
            lines.append("  then run `uv lock`: pyproject.toml changed, uv.lock is not yet updated")
    elif report.dry_run:
        lines.append("  (dry run: nothing was written)")
    else:
        lines.append("  review with `git diff`, then commit")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return "(none)" if value is None else str(value)


def check_json(outcomes: Sequence[Outcome[CheckResult]]) -> str:
    results = [
        outcome.result.as_json()
        if outcome.result is not None
        else {"path": str(outcome.path), "ok": False, "problems": [outcome.error]}
        for outcome in outcomes
    ]
    return json.dumps(results, indent=2)


def check_summary(outcomes: Sequence[Outcome[CheckResult]]) -> str:
    lines = []
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            lines.append(f"{shown(outcome.path)}: error: {outcome.error}")
        elif result.ok:
            lines.append(f"{shown(result.path)}: ok (template {result.version})")
        else:
            lines.append(f"{shown(result.path)}: FAIL")
            lines += [f"  - {problem}" for problem in result.problems]
    return "\n".join(lines)
