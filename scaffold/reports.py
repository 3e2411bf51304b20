"""Plain-text summaries of updates and checks, one block per service."""

from __future__ import annotations

import json
import os
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
    if report.not_written and not report.dry_run:
        verb = "not updated"
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
    lines += [
        f"  skipped   {name} (you deleted it; the new version changes it: restore it if you"
        " want the change)"
        for name in report.skipped_deleted
    ]
    lines += [f"  CONFLICT  {name}" for name in report.conflicts]
    lines += _test_and_commit_lines(report)
    if report.newer and report.answers:
        lines.append(
            f"  note: done at {report.to_version}, the service's template version; the installed"
            f" template is {report.newer}: run `mio update` to go there"
        )
    if report.not_written and not report.dry_run:
        lines.append(f"  not written: {report.not_written}; the service is untouched")
    elif report.commit:
        lines.append(f"  committed {report.commit[:12]} on {report.branch or 'HEAD'}")
    elif report.conflicts and report.dry_run:
        lines.append(
            "  (dry run: nothing was written; the update would leave conflict markers"
            " in the files above)"
        )
    elif report.conflicts:
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


def _test_and_commit_lines(report: UpdateReport) -> list[str]:
    if report.tests == "not run":
        return ["  tests     not run (conflict markers)"]
    if report.tests:
        return [f"  tests     {report.tests}, log: {report.test_log}"]
    return []


def status(outcome: Outcome[UpdateReport]) -> str:
    """One word or two for how a service's update ended."""
    report = outcome.result
    if not outcome.started:
        return "not started"
    if outcome.interrupted:
        return "rolled back"
    if report is None:
        return "refused" if outcome.exit_code == 2 else "failed"
    if report.tests == "failed":
        return "tests failed"
    if report.conflicts:
        return "conflicts"
    if not report.changed:
        return "up to date"
    return "would update" if report.dry_run else "updated"


def progress_line(outcome: Outcome[UpdateReport]) -> str:
    """The line printed as a service finishes."""
    report, word = outcome.result, status(outcome)
    head = f"{shown(outcome.path)}: {word}"
    if report is None:
        return f"{head}: {_reason(outcome)}"
    if word == "up to date":
        return f"{head} at {report.to_version}"
    detail = f" {report.from_version} -> {report.to_version}"
    if report.conflicts:
        detail += f", {len(report.conflicts)} file(s) with markers"
    if report.tests == "failed":
        detail += f", nothing written, log: {report.test_log}"
    return head + detail


def closing_summary(outcomes: Sequence[Outcome[UpdateReport]], verb: str) -> str:
    """The totals, then each service needing attention and why."""
    failed = sum(1 for o in outcomes if o.error)
    conflicted = sum(1 for o in outcomes if o.result is not None and o.result.conflicts)
    tested = sum(1 for o in outcomes if o.result is not None and o.result.tests == "failed")
    lines = [f"{verb}: {len(outcomes)} services, {failed} not updated, {conflicted} with conflicts"]
    if tested:
        lines[0] += f", {tested} with failing tests (not written)"
    attention = [
        o
        for o in outcomes
        if o.error or (o.result is not None and (o.result.conflicts or o.result.tests == "failed"))
    ]
    if attention:
        lines.append("needs attention:")
    for outcome in attention:
        word = status(outcome)
        if outcome.result is not None and outcome.result.tests == "failed":
            why = f"tests failed, nothing written; log: {outcome.result.test_log}"
        elif outcome.result is not None:
            names = ", ".join(outcome.result.conflicts)
            why = f"conflict markers in {names}" + (
                " (dry run: none written)" if outcome.result.dry_run else ""
            )
            if outcome.result.not_written and not outcome.result.dry_run:
                why = f"conflicts in {names}; {outcome.result.not_written}, nothing written"
        else:
            why = f"{word}: {_reason(outcome)}"
        lines.append(f"  {shown(outcome.path)}: {why}")
    return "\n".join(lines)


def _reason(outcome: Outcome[UpdateReport]) -> str:
    """The outcome's error without the service's path in front (the line names it)."""
    error = outcome.error or ""
    for spelled in (os.path.abspath(outcome.path), str(outcome.path)):
        error = error.removeprefix(f"{spelled}: ")
    return error


def stopped_summary(outcomes: Sequence[Outcome[UpdateReport]]) -> str:
    """After Ctrl-C: what was applied, what was rolled back, what was not started."""
    groups: dict[str, list[str]] = {"applied": [], "rolled back": [], "not started": []}
    for outcome in outcomes:
        word = status(outcome)
        if word in ("rolled back", "not started"):
            groups[word].append(shown(outcome.path))
        elif (
            outcome.result is not None
            and outcome.result.changed
            and not outcome.result.dry_run
            and not outcome.result.not_written
        ):
            groups["applied"].append(shown(outcome.path))
    lines = ["stopped before the end:"]
    for label, names in groups.items():
        lines.append(f"  {label}: {', '.join(names) if names else '(none)'}")
    return "\n".join(lines)


def update_json(outcomes: Sequence[Outcome[UpdateReport]]) -> str:
    """Every service's update as JSON, for CI (docs/updates.md lists the fields)."""
    from scaffold.batch import overall_exit_code

    services = []
    for outcome in outcomes:
        report = outcome.result
        item: dict[str, Any] = {
            "path": str(outcome.path),
            "status": status(outcome),
            "exit_code": outcome.exit_code,
            "error": outcome.error,
            "hint": outcome.hint,
        }
        if report is not None:
            item.update(
                {
                    "from_version": report.from_version,
                    "to_version": report.to_version,
                    "dry_run": report.dry_run,
                    "updated": report.updated,
                    "added": report.added,
                    "removed": report.removed,
                    "carried": [{"from": old, "to": new} for old, new in report.carried],
                    "kept": report.kept,
                    "conflicted": report.conflicts,
                    "skipped_deleted": report.skipped_deleted,
                    "tests": report.tests,
                    "test_log": str(report.test_log) if report.test_log else None,
                    "not_written": report.not_written,
                    "branch": report.branch,
                    "commit": report.commit,
                    "answers": {
                        name: {"from": before, "to": after}
                        for name, (before, after) in sorted(report.answers.items())
                    },
                }
            )
        services.append(item)
    return json.dumps({"exit_code": overall_exit_code(outcomes), "services": services}, indent=2)


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
