"""`mio add`: a catalog pattern, or other services' events, added to a service in place."""

from pathlib import Path
from typing import Annotated

import typer

from scaffold.cli._choices import (
    complete_pattern,
    complete_pattern_value,
    examples,
    listed,
    pattern_ids,
)
from scaffold.cli._common import (
    ConsumesOption,
    ContractOption,
    DataOption,
    DryRunOption,
    GatewayOption,
    MessagingOption,
    PathOption,
    report_one,
)

ADD_HELP = """Add a catalog pattern to a service, in place, at its current template version.

The pattern's files, dependencies and settings arrive through the same 3-way
update as `mio update`, so the service's folder must be clean in git.

With --consumes (and no PATTERN) the service consumes other services' events:
each event's model comes from its producer's asyncapi.json, found in a sibling
service folder or given with --contract.

""" + examples(
    "mio add retry",
    "mio add async-messaging --messaging redis --path services/orders",
    "mio add --consumes orders.items.created --path services/billing",
)


def add_command(
    pattern_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[PATTERN]",
            help=f"Pattern id: {listed(pattern_ids())} (`mio patterns list`).",
            autocompletion=complete_pattern,
        ),
    ] = None,
    path: PathOption = Path("."),
    value: Annotated[
        str | None,
        typer.Option(
            "--value",
            help="Which of the pattern's choices to use.",
            autocompletion=complete_pattern_value,
        ),
    ] = None,
    gateway: GatewayOption = None,
    messaging: MessagingOption = None,
    data: DataOption = None,
    consumes: ConsumesOption = None,
    contract: ContractOption = None,
    dry_run: DryRunOption = False,
) -> None:
    from scaffold.change import add_to_service

    def action(service: Path) -> object:
        return add_to_service(
            service,
            pattern_id,
            value=value,
            flags={"gateway": gateway, "messaging": messaging},
            data=data or [],
            consumes=consumes,
            contracts=contract or [],
            dry_run=dry_run,
        )

    report_one(action, path)
