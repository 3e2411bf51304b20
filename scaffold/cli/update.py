"""`mio update`: bring services to the installed template version."""

from functools import partial
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import DryRunOption, PathsArgument, report_each

UPDATE_HELP = """Bring services to the installed template version, keeping their owners' edits.

Copier's 3-way update, with the template history shipped inside mio (no network).
Each service's folder must be clean in git (nothing outside it counts; services
sharing a repository update independently); review with `git diff`. Files
where your edits meet template changes get conflict markers (exit 3). Edited
files the new template renames or drops are carried over or kept, and reported.
A service recording a former template source is re-pointed to the current one.

""" + examples(
    "mio update",
    "mio update services/orders services/billing --dry-run",
    "mio update --to v0.1.0",
    "mio update services/* --json",
)


def update_command(
    paths: PathsArgument = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Template version to go to (default: the newest).")
    ] = None,
    dry_run: DryRunOption = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: the exit code, and per service its status,"
            " versions and files (docs/updates.md lists the fields).",
        ),
    ] = False,
) -> None:
    from scaffold.update import update_service

    report_each(partial(update_service, to=to, dry_run=dry_run), paths, "update", as_json=as_json)
