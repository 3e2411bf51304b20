"""The report of `mio adopt`, as text and as JSON."""

from __future__ import annotations

import json

from scaffold.adopt import AdoptReport, Candidate
from scaffold.reports import shown
from scaffold.resources import TEMPLATE_SOURCE

#: Differing files listed in the text report; the JSON report lists them all.
_SHOWN_FILES = 20


def adopt_text(report: AdoptReport) -> str:
    where = shown(report.path)
    if report.already:
        return f"{where}: already adopted: {TEMPLATE_SOURCE} at {report.version}, nothing to do"
    lines = [f"  {c.version}: {_comparison(c)}" for c in report.candidates]
    lines += [f"  {version}: refuses the service's answers" for version in report.unrenderable]
    closest = report.closest
    if report.version is None:
        assert closest is not None
        head = (
            f"{where}: not adopted: no released version renders its files exactly;"
            f" closest: {closest.version}"
        )
        return "\n".join([head, *lines, *_differences(closest)])
    verb = "would adopt" if report.dry_run else "adopted"
    exact = closest is not None and closest.exact and closest.version == report.version
    how = "identical render" if exact else "chosen with --at"
    head = f"{where}: {verb} at {report.version} ({how})"
    body = [
        f"  _src_path: {report.source_before} -> {TEMPLATE_SOURCE}",
        f"  _commit: {report.commit_before or '(none)'} -> {report.version}",
        *lines,
    ]
    chosen = next((c for c in report.candidates if c.version == report.version), None)
    if chosen is not None and not chosen.exact:
        body += _differences(chosen)
    if not report.dry_run:
        body.append(
            "  review with `git diff`, then commit: `mio update` and `mio check` work from there"
        )
    return "\n".join([head, *body])


def _comparison(candidate: Candidate) -> str:
    if candidate.exact:
        return f"identical ({candidate.files} files)"
    added = sum(d.added for d in candidate.differences)
    removed = sum(d.removed for d in candidate.differences)
    return (
        f"{len(candidate.differences)} of {candidate.files} files differ"
        f" (+{added} -{removed} lines)"
    )


def _differences(candidate: Candidate) -> list[str]:
    lines = [f"  differing from {candidate.version}:"]
    for difference in candidate.differences[:_SHOWN_FILES]:
        what = "missing" if difference.missing else f"+{difference.added} -{difference.removed}"
        lines.append(f"    {difference.path} ({what})")
    more = len(candidate.differences) - _SHOWN_FILES
    if more > 0:
        lines.append(f"    ... and {more} more (--json lists them all)")
    return lines


def adopt_json(report: AdoptReport) -> str:
    return json.dumps(report.as_json(), indent=2)
