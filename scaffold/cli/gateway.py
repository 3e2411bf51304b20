"""`mio gateway build`: several services behind one gateway."""

from pathlib import Path
from typing import Annotated, Any

import typer

from scaffold.cli._choices import complete_engine, engine_names, examples, listed
from scaffold.cli._common import echo, run

gateway_app = typer.Typer(help="Put several services behind one gateway.", no_args_is_help=True)

BUILD_HELP = """Write one gateway configuration routing to every mio service under DIR...

Services are found by their .copier-answers.yml; each one's deploy/route.yaml
(prefix, upstream, timeouts, retries, limits) becomes a route. OUTPUT receives the
engine's configuration and a compose.yaml running the services behind it.

""" + examples(
    "mio gateway build services/ --engine nginx --output gateway",
    "mio gateway build orders billing --engine envoy -o gateway --listen-port 9000",
    "mio gateway build services/ --engine nginx -o local --upstream orders=127.0.0.1:8001",
)


@gateway_app.command("build", help=BUILD_HELP)
def build(
    directories: Annotated[
        list[Path], typer.Argument(metavar="DIR...", help="Directories holding mio services.")
    ],
    engine: Annotated[
        str,
        typer.Option(
            metavar="ENGINE",
            help=f"Gateway engine: {listed(engine_names())}.",
            autocompletion=complete_engine,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write (absent or empty).")
    ],
    listen_port: Annotated[int, typer.Option(help="Port the gateway listens on.")] = 8080,
    upstream: Annotated[
        list[str] | None,
        typer.Option(
            help="Reach a service elsewhere than its route says: SERVICE=HOST:PORT; repeatable."
        ),
    ] = None,
) -> None:
    from scaffold.gateway import build_fleet, parse_upstreams

    def action() -> Any:
        return build_fleet(
            directories,
            engine,
            output,
            listen_port=listen_port,
            upstreams=parse_upstreams(upstream or []),
        )

    fleet = run(action)
    echo(f"Wrote a {fleet.engine} gateway for {len(fleet.services)} services to {fleet.output}:")
    moved = parse_upstreams(upstream or [])
    for service in fleet.services:
        route = service.route
        host, port = moved.get(route.service, (route.host, route.port))
        echo(f"  {route.prefix}/ -> {route.service} ({host}:{port})")
    echo(f"  files: {', '.join(fleet.files)}")
