"""`mio update`, `mio add`, `mio remove`, `mio check`: keep services current."""

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from scaffold.cli._choices import (
    complete_data,
    complete_pattern,
    complete_pattern_value,
    complete_question,
    examples,
    listed,
    pattern_ids,
    question_choices,
)
from scaffold.cli._common import echo, fail, run

PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(metavar="[PATH]...", help="Service directories (default: the current one)."),
]
PathOption = Annotated[
    Path, typer.Option("--path", "-p", help="The service's directory (default: the current one).")
]
PatternArgument = Annotated[
    str,
    typer.Argument(
        metavar="PATTERN",
        help=f"Pattern id: {listed(pattern_ids())} (`mio patterns list`).",
        autocompletion=complete_pattern,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change and write nothing.")
]

UPDATE_HELP = """Bring services to the installed template version, keeping their owners' edits.

Copier's 3-way update, with the template history shipped inside mio (no network).
Each service needs a clean git tree; review the result with `git diff`. Files
where your edits meet template changes get conflict markers (exit 3). Edited
files the new template renames or drops are carried over or kept, and reported.
A service recording a former template source is re-pointed to the current one.

""" + examples(
    "mio update",
    "mio update services/orders services/billing --dry-run",
    "mio update --to v0.1.0",
)


def update_command(
    paths: PathsArgument = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Template version to go to (default: the newest).")
    ] = None,
    dry_run: DryRunOption = False,
) -> None:
    from scaffold.update import update_service

    _run_per_service(partial(update_service, to=to, dry_run=dry_run), paths, "update")


ADD_HELP = """Add a catalog pattern to a service, in place, at its current template version.

The pattern's files, dependencies and settings arrive through the same 3-way
update as `mio update`, so the service's git tree must be clean.

With --consumes (and no PATTERN) the service consumes other services' events:
each event's model comes from its producer's asyncapi.json, found in a sibling
service folder or given with --contract.

""" + examples(
    "mio add retry",
    "mio add async-messaging --messaging redis --path services/orders",
    "mio add --consumes orders.items.created --path services/billing",
)


def add_command(
    pattern_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[PATTERN]",
            help=f"Pattern id: {listed(pattern_ids())} (`mio patterns list`).",
            autocompletion=complete_pattern,
        ),
    ] = None,
    path: PathOption = Path("."),
    value: Annotated[
        str | None,
        typer.Option(
            "--value",
            help="Which of the pattern's choices to use.",
            autocompletion=complete_pattern_value,
        ),
    ] = None,
    gateway: Annotated[
        str | None,
        typer.Option(
            metavar="GATEWAY",
            help=f"The gateway, for api-gateway: {listed(question_choices('gateway'))}.",
            autocompletion=complete_question("gateway"),
        ),
    ] = None,
    messaging: Annotated[
        str | None,
        typer.Option(
            metavar="BROKER",
            help=f"The broker, for async-messaging: {listed(question_choices('messaging'))}.",
            autocompletion=complete_question("messaging"),
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Answer a further question (cast by its type, as for `mio new`); repeatable.",
            autocompletion=complete_data,
        ),
    ] = None,
    consumes: Annotated[
        str | None,
        typer.Option(
            metavar="EVENT,...",
            help="Other services' events to consume, comma-separated (orders.items.created).",
        ),
    ] = None,
    contract: Annotated[
        list[Path] | None,
        typer.Option(
            "--contract",
            metavar="PATH",
            help="A producer's asyncapi.json (or its service folder), for --consumes.",
        ),
    ] = None,
    dry_run: DryRunOption = False,
) -> None:
    from scaffold.answers import parse_data
    from scaffold.change import add_consumed_events, add_pattern
    from scaffold.contracts import split_events

    if (pattern_id is None) == (consumes is None):
        fail("give a PATTERN, or --consumes EVENT", code=2)

    def action(service: Path) -> Any:
        if consumes is not None:
            return add_consumed_events(
                service, split_events(consumes), contracts=contract, dry_run=dry_run
            )
        assert pattern_id is not None
        answers = parse_data(data or [])
        answers.update({k: v for k, v in {"gateway": gateway, "messaging": messaging}.items() if v})
        return add_pattern(service, pattern_id, value=value, data=answers, dry_run=dry_run)

    _run_one(action, path)


REMOVE_HELP = """Remove a catalog pattern from a service, in place.

Files only that pattern brought go away, unless you edited them: those are kept
and reported. Dependencies and settings follow the pattern.

""" + examples("mio remove retry --path services/orders")


def remove_command(
    pattern_id: PatternArgument,
    path: PathOption = Path("."),
    dry_run: DryRunOption = False,
) -> None:
    from scaffold.change import remove_pattern

    _run_one(partial(remove_pattern, pattern_id=pattern_id, dry_run=dry_run), path)


CHECK_HELP = """Check services for CI: exit 1 when any is behind the installed template
version, holds unresolved conflict markers, or has a missing or unreadable answers file;
exit 2 when an answer in it breaks a rule of the template (named in the report).

""" + examples("mio check", "mio check services/* --json")


def check_command(
    paths: PathsArgument = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list, one object per service.")
    ] = False,
) -> None:
    from scaffold.batch import overall_exit_code, run_each
    from scaffold.check import check_service
    from scaffold.reports import check_json, check_summary

    outcomes = run(lambda: run_each(check_service, paths or [Path(".")]))
    echo(check_json(outcomes) if as_json else check_summary(outcomes))
    raise typer.Exit(overall_exit_code(outcomes))


def _run_one(action: Any, path: Path) -> None:
    from scaffold.batch import Outcome
    from scaffold.reports import update_summary

    report = run(lambda: action(path))
    echo(update_summary([Outcome(path, result=report, exit_code=report.exit_code)]))
    raise typer.Exit(report.exit_code)


def _run_per_service(action: Any, paths: list[Path] | None, verb: str) -> None:
    from scaffold.batch import overall_exit_code, run_each
    from scaffold.reports import update_summary

    if not paths or len(paths) == 1:
        _run_one(action, (paths or [Path(".")])[0])
    outcomes = run(lambda: run_each(action, paths or []))
    echo(update_summary(outcomes))
    failed = sum(1 for o in outcomes if o.error)
    conflicted = sum(1 for o in outcomes if o.result is not None and o.result.conflicts)
    echo(f"{verb}: {len(outcomes)} services, {failed} not updated, {conflicted} with conflicts")
    raise typer.Exit(overall_exit_code(outcomes))
