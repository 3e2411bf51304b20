"""`mio adopt`: bring a service made with plain Copier under mio."""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import examples
from scaffold.cli._common import DryRunOption, echo, run

ADOPT_HELP = """Bring a service made with plain `copier copy` (from a local checkout of the
template, or an older or other URL) under mio: record the canonical template source and the
released version its files were rendered from, found by rendering each released version
with the service's answers. When no version matches exactly, the closest is named with what
differs, and nothing is written unless you choose it with --at. Needs a clean git tree;
only the answers file changes, nothing is committed.

""" + examples(
    "mio adopt services/orders --dry-run",
    "mio adopt services/orders --at v0.3.0",
    "mio adopt . --json",
)


def adopt_command(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="[PATH]", help="The service's directory (default: the current one)."
        ),
    ] = Path("."),
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="VERSION",
            help="Adopt at this released version even if its render differs from the service.",
        ),
    ] = None,
    dry_run: DryRunOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    from scaffold.adopt import adopt_service
    from scaffold.reports_adopt import adopt_json, adopt_text

    report = run(lambda: adopt_service(path, at=at, dry_run=dry_run))
    echo(adopt_json(report) if as_json else adopt_text(report))
    if report.hint and not as_json:
        typer.echo(f"hint: {report.hint}", err=True)
    raise typer.Exit(report.exit_code)
