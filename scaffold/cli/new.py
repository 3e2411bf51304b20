"""`mio new service`: create a service repository from the template."""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import complete_question_list, examples, listed, question_choices
from scaffold.cli._common import (
    ConsumesOption,
    ContractOption,
    DataOption,
    GatewayOption,
    MessagingOption,
    echo,
    is_interactive,
    run,
)

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
    gateway: GatewayOption = None,
    messaging: MessagingOption = None,
    resilience: Annotated[
        str | None,
        typer.Option(
            metavar="POLICY,...",
            help="Resilience policies, comma-separated, any of: "
            f"{listed(question_choices('resilience'))}.",
            autocompletion=complete_question_list("resilience"),
        ),
    ] = None,
    consumes: ConsumesOption = None,
    contract: ContractOption = None,
    data: DataOption = None,
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
    from scaffold.new import created_summary, new_service

    def ask_consumes() -> str:
        return str(typer.prompt(CONSUMES_PROMPT, default="", show_default=False))

    flags = {
        "description": description,
        "owner": owner,
        "http_port": http_port,
        "gateway": gateway,
        "messaging": messaging,
        "resilience": resilience,
    }
    created = run(
        lambda: new_service(
            name,
            output=output,
            flags=flags,
            data=data or [],
            consumes=consumes,
            contracts=contract or [],
            ask_consumes=ask_consumes if not defaults and is_interactive() else None,
            git_init=git,
            lock=lock,
        )
    )
    echo(created_summary(created))
