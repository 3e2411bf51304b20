"""Plain-text views of the catalog and of command results."""

from __future__ import annotations

from scaffold.catalog import Pattern


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
        ("What it adds to a service", pattern.adds),
        ("Requires", pattern.requires),
        ("Conflicts with", pattern.conflicts),
        ("Notes", pattern.notes),
    ):
        if items:
            lines += ["", f"{heading}:"] + [f"  - {item}" for item in items]
    return "\n".join(lines)
