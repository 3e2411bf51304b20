"""`mio fleet check`: do the services under a directory fit together?"""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import echo, run

fleet_app = typer.Typer(help="Check several services together.", no_args_is_help=True)

CHECK_HELP = """Check that the mio services under DIR... fit together, for CI.

Reads each service's answers, published contract (asyncapi.json), route
(deploy/route.yaml) and code. Errors, naming both sides: a consumed event no
service publishes; a field a consumer's model needs that its producer does not
send, or sends with another type; a consumer and its producer on different
brokers; two services claiming one route prefix. Warnings: a call to an upstream
no service provides (route.yaml `calls`, or a /api/<name> path in the code).

Exit codes: 0 fits (warnings allowed, unless --strict), 1 errors found (or
warnings with --strict), 2 invalid input (no directory, no service).

""" + examples(
    "mio fleet check services/",
    "mio fleet check services/ --json",
    "mio fleet check orders billing shipping --strict",
)


@fleet_app.command("check", help=CHECK_HELP)
def check(
    directories: Annotated[
        list[Path],
        typer.Argument(metavar="DIR...", help="Folders holding the services (searched deeply)."),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object: services, ok, errors and warnings."),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    from scaffold.fleet import check_fleet

    report = run(lambda: check_fleet(directories))
    echo(report.as_json() if as_json else report.summary())
    raise typer.Exit(report.exit_code(strict=strict))
