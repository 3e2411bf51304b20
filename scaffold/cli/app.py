"""The `mio` Typer application: command groups composed from their own modules."""

from typing import Annotated

import typer

from scaffold import __version__
from scaffold.cli._choices import examples
from scaffold.cli._process import state
from scaffold.cli.add import ADD_HELP, add_command
from scaffold.cli.adopt import ADOPT_HELP, adopt_command
from scaffold.cli.check import CHECK_HELP, check_command
from scaffold.cli.explain import EXPLAIN_HELP, explain_command
from scaffold.cli.fleet import fleet_app
from scaffold.cli.gateway import gateway_app
from scaffold.cli.new import new_app
from scaffold.cli.patterns import patterns_app
from scaffold.cli.remove import REMOVE_HELP, remove_command
from scaffold.cli.update import UPDATE_HELP, update_command

app = typer.Typer(
    name="mio",
    help=(
        "Create FastAPI services wired for gateway routing, messaging and resilience,"
        " and keep them current.\n\n"
        + examples(
            "mio new service orders --defaults",
            "mio new service payments --messaging rabbitmq --resilience retry,circuit-breaker",
            "mio patterns list",
            "mio patterns suggest --calls-upstreams --flaky-upstreams",
            "mio update services/orders services/billing",
            "mio add retry --path services/orders",
            "mio check services/*",
            "mio adopt services/legacy --dry-run",
            "mio gateway build services/ --engine nginx --output gateway",
            "mio fleet check services/ --json",
            "mio explain src/orders/resilience/retry.py",
        )
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(new_app, name="new")
app.add_typer(patterns_app, name="patterns")
app.command("update", help=UPDATE_HELP)(update_command)
app.command("add", help=ADD_HELP)(add_command)
app.command("remove", help=REMOVE_HELP)(remove_command)
app.command("check", help=CHECK_HELP)(check_command)
app.command("adopt", help=ADOPT_HELP)(adopt_command)
app.add_typer(gateway_app, name="gateway")
app.add_typer(fleet_app, name="fleet")
app.command("explain", help=EXPLAIN_HELP)(explain_command)


def _version(value: bool) -> None:
    if value:
        from scaffold.resources import TEMPLATE_SOURCE

        typer.echo(f"mio {__version__}")
        typer.echo(f"template source: {TEMPLATE_SOURCE} (never fetched: mio uses its own copy)")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version and the template's source, and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    state["debug"] = debug
