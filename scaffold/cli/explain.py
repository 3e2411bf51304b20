"""`mio explain`: why a file or a line of a generated service exists."""

from typing import Annotated

import typer

from scaffold.cli._common import echo, run

EXPLAIN_HELP = """Say why a file (PATH) or a line (PATH:LINE) of a generated service exists.

Names the template file it comes from, the question and choice that bring it in
(the {% if %} in the template's file name or around the line), the service's
answer, and the catalog entry that explains the pattern. Works on the template
installed with mio.

Examples:

  mio explain src/orders/resilience/retry.py

  mio explain services/orders/src/orders/settings.py:60

  mio explain deploy/nginx/nginx.conf --json
"""


def explain_command(
    target: Annotated[str, typer.Argument(metavar="PATH[:LINE]", help="A service's file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for tools.")] = False,
) -> None:
    import json

    from scaffold.explain import explain
    from scaffold.render import explanation_json, explanation_text

    explanation = run(lambda: explain(target))
    echo(
        json.dumps(explanation_json(explanation), indent=2)
        if as_json
        else explanation_text(explanation)
    )
