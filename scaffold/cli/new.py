"""`mio new service`: create a service repository from the template."""

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from scaffold.cli._choices import (
    complete_data,
    complete_question,
    complete_question_list,
    examples,
    listed,
    question_choices,
)
from scaffold.cli._common import echo, is_interactive, run

CONSUMES_PROMPT = (
    "Other services' events to consume, comma-separated (e.g. orders.items.created; Enter for none)"
)
new_app = typer.Typer(help="Create something new from the template.", no_args_is_help=True)

NEW_SERVICE_HELP = """Create a service repository NAME (default destination ./NAME).

Flags and --data answer the template's questions. With a terminal and no flag,
Copier asks the rest; without a terminal, or with --defaults, the rest take
their defaults. The new repository is a git repository with one commit, ready
for `mio update` later.

""" + examples(
    "mio new service orders --defaults",
    "mio new service payments --messaging rabbitmq --resilience retry,circuit-breaker",
    "mio new service billing --output services/billing --data owner=team-billing",
    "mio new service shipping --messaging redis --consumes orders.items.created",
)


@new_app.command("service", help=NEW_SERVICE_HELP)
def new_service(
    name: Annotated[str, typer.Argument(help="Service name: a DNS-1123 label such as orders-api.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Destination directory (default ./NAME).")
    ] = None,
    description: Annotated[
        str | None, typer.Option(help="One sentence on what the service does.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owning team or person.")] = None,
    http_port: Annotated[
        str | None,
        typer.Option(metavar="PORT", help="HTTP port the service listens on (1024-65535)."),
    ] = None,
    gateway: Annotated[
        str | None,
        typer.Option(
            metavar="GATEWAY",
            help=f"API gateway to route through: {listed(question_choices('gateway'))}.",
            autocompletion=complete_question("gateway"),
        ),
    ] = None,
    messaging: Annotated[
        str | None,
        typer.Option(
            metavar="BROKER",
            help=f"Message broker: {listed(question_choices('messaging'))}.",
            autocompletion=complete_question("messaging"),
        ),
    ] = None,
    resilience: Annotated[
        str | None,
        typer.Option(
            metavar="POLICY,...",
            help="Resilience policies, comma-separated, any of: "
            f"{listed(question_choices('resilience'))}.",
            autocompletion=complete_question_list("resilience"),
        ),
    ] = None,
    consumes: Annotated[
        str | None,
        typer.Option(
            metavar="EVENT,...",
            help="Other services' events to consume, comma-separated (orders.items.created);"
            " each event's fields come from its producer's asyncapi.json, found in a sibling"
            " service folder or given with --contract.",
        ),
    ] = None,
    contract: Annotated[
        list[Path] | None,
        typer.Option(
            "--contract",
            metavar="PATH",
            help="A producer's asyncapi.json (or its service folder), for --consumes; repeatable.",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Answer any question; the value is cast by the question's type (text stays"
            " as typed, a list is [a, b] or a,b); repeatable.",
            autocompletion=complete_data,
        ),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Take defaults for every question not answered.")
    ] = False,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="Initialise a git repository with one commit.")
    ] = True,
    lock: Annotated[
        bool,
        typer.Option(
            "--lock/--no-lock",
            help="Lock the dependencies in uv.lock (needs the package index; run `uv lock` later"
            " with --no-lock).",
        ),
    ] = True,
) -> None:
    from scaffold.answers import parse_data, parse_flags, validate_answers
    from scaffold.contracts import consumed_events, split_events
    from scaffold.generate import create_service

    def action() -> Any:
        raw: dict[str, Any] = parse_data(data or [])
        sources = dict.fromkeys(raw, "--data")
        answers, flag_sources = parse_flags(
            {
                "description": description,
                "owner": owner,
                "http_port": http_port,
                "gateway": gateway,
                "messaging": messaging,
                "resilience": resilience,
            }
        )
        raw.update(answers)
        sources.update(flag_sources)
        raw["service_name"] = name
        sources["service_name"] = "the NAME argument"
        destination = output if output is not None else Path(name)
        ask = not defaults and is_interactive()
        events = split_events(consumes) if consumes is not None else raw.get("consumes")
        if events is None and ask:
            # Only mio can read the producers' contracts, so Copier never asks this: mio
            # does when a broker is chosen already; otherwise `mio add --consumes` later.
            chosen = raw.get("messaging")
            wanted = chosen not in (None, "none")
            text = typer.prompt(CONSUMES_PROMPT, default="", show_default=False) if wanted else ""
            events = split_events(text)
        if events is not None:  # answered here, so Copier does not ask again
            raw["consumes"] = events
            sources["consumes"] = "--consumes"
            if "consumed_events" not in raw:
                search = [Path(os.path.abspath(destination)).parent, Path.cwd()]
                raw["consumed_events"] = consumed_events(events, search, contract or [])
        answers = validate_answers(raw, sources=sources)
        return create_service(answers, destination, defaults=not ask, git_init=git, lock=lock)

    created = run(action)
    _print_summary(created)


def _print_summary(created: Any) -> None:
    from scaffold.catalog import selected_patterns

    answers = created.answers
    chosen = ", ".join(p.id for p in selected_patterns(answers)) or "none (timeouts are always on)"
    try:
        shown = created.path.relative_to(Path.cwd())
    except ValueError:
        shown = created.path
    echo(f"Created service {answers['service_name']} in {shown} (template {created.version}).")
    echo(f"  package: {answers['package_name']}   settings prefix: {answers['env_prefix']}")
    echo(f"  patterns: {chosen}")
    echo(f"  files: {len(created.files)}")
    echo("")
    echo("Next:")
    echo(f"  cd {shown} && python -m pip install -e '.[dev]'   (or: uv sync --extra dev)")
    echo("  pytest")
