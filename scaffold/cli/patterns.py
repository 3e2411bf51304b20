"""`mio patterns`: browse the pattern catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from scaffold.cli._choices import complete_pattern, listed, pattern_ids
from scaffold.cli._common import echo, run

patterns_app = typer.Typer(help="Browse the pattern catalog.", no_args_is_help=True)


@patterns_app.command("list")
def list_patterns() -> None:
    """List every pattern: its id, the flag that chooses it and a summary."""
    from scaffold.catalog import load_catalog
    from scaffold.render import pattern_table

    echo(run(lambda: pattern_table(list(load_catalog().values()))))


@patterns_app.command("show")
def show_pattern(
    pattern_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help=f"Pattern id: {listed(pattern_ids())}.",
            autocompletion=complete_pattern,
        ),
    ],
) -> None:
    """Show what a pattern is, when to choose it, and what it adds."""
    from scaffold.catalog import get_pattern
    from scaffold.render import pattern_details

    echo(run(lambda: pattern_details(get_pattern(pattern_id))))
