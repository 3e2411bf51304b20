"""`mio update`: bring services to the installed template version."""

from functools import partial
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import DryRunOption, PathsArgument, report_each
from scaffold.service_tests import DEFAULT_TEST_COMMAND

UPDATE_HELP = """Bring services to the installed template version, keeping their owners' edits.

Copier's 3-way update, with the template history shipped inside mio (no network).
Each service's folder must be clean in git (nothing outside it counts; services
sharing a repository update independently); review with `git diff`. Files
where your edits meet template changes get conflict markers (exit 3). Edited
files the new template renames or drops are carried over or kept, and reported.
A service recording a former template source is re-pointed to the current one.

With --test, the service's tests run on an updated copy first; if they fail,
nothing is written and the log is named (exit 6). With --branch and --commit,
each update becomes one commit on its own branch, the working tree untouched.

""" + examples(
    "mio update",
    "mio update services/orders services/billing --dry-run",
    "mio update --to v0.1.0",
    "mio update services/* --json",
    "mio update services/* --test --branch mio/template-update --commit",
)


def update_command(
    paths: PathsArgument = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Template version to go to (default: the newest).")
    ] = None,
    dry_run: DryRunOption = False,
    test: Annotated[
        bool,
        typer.Option(
            "--test",
            help="Run the service's tests on an updated copy first; write the update only if"
            " they pass (else exit 6, nothing written, the log kept and named).",
        ),
    ] = False,
    test_command: Annotated[
        str,
        typer.Option(
            "--test-command",
            metavar="COMMAND",
            help="The tests to run with --test, in the service's folder. A leading `python`"
            " is the service's .venv/bin/python when it has one, else the Python running mio.",
        ),
    ] = DEFAULT_TEST_COMMAND,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch",
            metavar="NAME",
            help="Commit each update on branch NAME (made from HEAD when missing; one commit"
            " per service), leaving the working tree as it is. Implies --commit.",
        ),
    ] = None,
    commit: Annotated[
        bool,
        typer.Option(
            "--commit",
            help="Commit each update (on the current branch unless --branch);"
            " an update with conflicts is not committed.",
        ),
    ] = False,
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

    action = partial(
        update_service,
        to=to,
        dry_run=dry_run,
        test=test,
        test_command=test_command,
        branch=branch,
        commit=commit or branch is not None,
    )
    report_each(action, paths, "update", as_json=as_json)
