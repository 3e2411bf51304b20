"""Several services behind one gateway: `mio gateway build`.

Each mio service declares its route in ``deploy/route.yaml`` (read and checked by
:mod:`scaffold.routes`). This module finds the services under some directories by their
answers files, and renders one gateway configuration for all of them plus a compose
file that runs them together. The engines' configuration comes from the same macros a
service's own ``deploy/<engine>/`` files are rendered from (``data/gateway/*.jinja`` in
the template), images and ports from ``data/platform.yml``; ``scaffold/gateway_templates``
holds only each fleet file's heading and its call of those macros.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scaffold.answers_file import ANSWERS_FILE, answers_file_or_none
from scaffold.atomic import move_into_place
from scaffold.errors import InvalidInput
from scaffold.platform import load_platform
from scaffold.project import service_dirs
from scaffold.resources import FORMER_SOURCES, TEMPLATE_SOURCE, resource_root
from scaffold.routes import HOST, ROUTE_FILE, Route, load_route

TEMPLATES_DIR = Path(__file__).resolve().parent / "gateway_templates"


def engine_files(engine: str) -> tuple[str, ...]:
    """The files of ``engine``'s fleet configuration, besides compose.yaml."""
    return load_platform().engines[engine].file_names


@dataclass(frozen=True)
class FleetService:
    """A mio service found on disk, with its route and the answers it was made with."""

    path: Path
    route: Route
    env_prefix: str
    messaging: str


@dataclass(frozen=True)
class Fleet:
    engine: str
    output: Path
    services: tuple[FleetService, ...]
    files: tuple[str, ...]


def engines() -> tuple[str, ...]:
    """The gateway engines, as the catalog's api-gateway pattern lists them."""
    from scaffold.catalog import get_pattern

    return get_pattern("api-gateway").values


def find_services(directories: Iterable[Path]) -> list[FleetService]:
    """Every mio service under ``directories``; a directory without one is an error."""
    found: dict[Path, FleetService] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InvalidInput(f"{directory} is not a directory")
        loaded = (_load_service(path) for path in service_dirs(directory))
        services = [service for service in loaded if service is not None]
        if not services:
            raise InvalidInput(
                f"no mio service under {directory}: no {ANSWERS_FILE} made from the mio template"
            )
        for service in services:
            found.setdefault(service.path, service)
    fleet = sorted(found.values(), key=lambda s: s.route.prefix)
    _check_unique(fleet)
    return fleet


def parse_upstreams(items: Iterable[str]) -> dict[str, tuple[str, int]]:
    """``NAME=HOST:PORT`` overrides, to run a fleet without containers."""
    upstreams: dict[str, tuple[str, int]] = {}
    for item in items:
        name, _, address = item.partition("=")
        host, _, port = address.rpartition(":")
        if not (name and HOST.fullmatch(host) and port.isdigit() and 0 < int(port) < 65536):
            raise InvalidInput(f"--upstream takes SERVICE=HOST:PORT, got {item!r}")
        upstreams[name] = (host, int(port))
    return upstreams


def build_fleet(
    directories: Iterable[Path],
    engine: str,
    output: Path,
    *,
    listen_port: int | None = None,
    upstreams: Mapping[str, tuple[str, int]] | None = None,
) -> Fleet:
    """Write one ``engine`` configuration routing to every service found, and a compose file.

    Everything is checked before a byte is written; the files appear in ``output``
    together or not at all.
    """
    if engine not in engines():
        raise InvalidInput(f"--engine must be one of: {', '.join(engines())}; got {engine!r}")
    if listen_port is None:
        listen_port = load_platform().gateway_port
    if not 0 < listen_port < 65536:
        raise InvalidInput(f"--listen-port must be between 1 and 65535; got {listen_port}")
    output = Path(os.path.abspath(output))
    _check_output(output)
    services = find_services(directories)
    overrides = dict(upstreams or {})
    unknown = sorted(set(overrides) - {s.route.service for s in services})
    if unknown:
        raise InvalidInput(f"--upstream names no service found: {', '.join(unknown)}")
    rendered = render_fleet(engine, services, output, listen_port=listen_port, upstreams=overrides)
    _write_atomically(output, rendered)
    return Fleet(engine, output, tuple(services), tuple(sorted(rendered)))


def render_fleet(
    engine: str,
    services: list[FleetService],
    output: Path,
    *,
    listen_port: int,
    upstreams: Mapping[str, tuple[str, int]] | None = None,
) -> dict[str, str]:
    """The text of every file of the fleet configuration, by file name.

    ``upstreams`` moves a service's address in the gateway configuration only; the
    compose file keeps the routes' own addresses, which are the containers'.
    """
    import jinja2

    from scaffold.answers import load_copier_yml

    # The engines' macros render here as Copier renders them for a service: the same
    # _envops and filters, loaded from the template's root.
    envops: dict[str, Any] = {**(load_copier_yml().get("_envops") or {}), "autoescape": False}
    envops.pop("undefined", None)  # always strict here: a macro's typo fails the build
    env = jinja2.Environment(
        # The fleet files' headings first, then the template's root (data/gateway/).
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(TEMPLATES_DIR), jinja2.FileSystemLoader(resource_root())]
        ),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],  # from_yaml
        undefined=jinja2.StrictUndefined,
        **envops,
    )
    brokers = load_platform().brokers
    context: dict[str, Any] = {
        "engine": engine,
        "routes": [_moved(s.route, (upstreams or {}).get(s.route.service)) for s in services],
        "services": [
            {
                "route": s.route,
                "env_prefix": s.env_prefix,
                "build": os.path.relpath(s.path, output),
                "broker": s.messaging if s.messaging in brokers else None,
            }
            for s in services
        ],
        "brokers": list(dict.fromkeys(s.messaging for s in services if s.messaging in brokers)),
        "listen_port": listen_port,
    }
    names = (*engine_files(engine), "compose.yaml")
    return {name: env.get_template(f"{name}.jinja").render(context) for name in names}


def _load_service(directory: Path) -> FleetService | None:
    answers = answers_file_or_none(directory)
    if answers is None or answers.get("_src_path") not in (TEMPLATE_SOURCE, *FORMER_SOURCES):
        return None
    project = directory.resolve()
    route_file = project / ROUTE_FILE
    if not route_file.is_file():
        raise InvalidInput(
            f"service {answers.get('service_name', project.name)} in {project} has no "
            f"{ROUTE_FILE}; update it to a template version with gateway routing"
        )
    route = load_route(route_file)
    name = str(answers.get("service_name", route.service))
    return FleetService(
        path=project,
        route=route,
        env_prefix=name.replace("-", "_").upper() + "_",
        messaging=str(answers.get("messaging", "none")),
    )


def _check_unique(services: list[FleetService]) -> None:
    for attribute, label in (("prefix", "prefix"), ("service", "service name")):
        seen: dict[str, Path] = {}
        for service in services:
            value = getattr(service.route, attribute)
            if value in seen:
                raise InvalidInput(
                    f"duplicate {label} {value}: declared by {seen[value]} and {service.path}"
                )
            seen[value] = service.path
    prefixes = [s.route.prefix for s in services]
    for outer in prefixes:
        for inner in prefixes:
            if inner != outer and inner.startswith(outer + "/"):
                raise InvalidInput(
                    f"prefix {inner} is nested under prefix {outer}; make them disjoint"
                )


def _moved(route: Route, address: tuple[str, int] | None) -> Route:
    if address is None:
        return route
    return replace(route, host=address[0], port=address[1])


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise InvalidInput(f"--output {output} exists and is not an empty directory")


def _write_atomically(output: Path, files: Mapping[str, str]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mio-gateway-", dir=output.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        move_into_place(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
