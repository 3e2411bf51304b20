"""`mio check`: are services current and free of conflicts? For CI."""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import PathsArgument, echo, run

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
