"""`mio check`: are services current and free of conflicts? For CI."""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import PathsArgument, echo, run

CHECK_HELP = """Check services for CI, one exit code per finding (the most urgent wins):
0 up to date; 1 cannot be checked (no answers file, not in git, unknown version);
2 an answer breaks a rule of the template; 3 unresolved conflict markers; 4 behind the
installed template version; 5 files an update kept for you to move, then delete.

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
