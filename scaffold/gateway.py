"""Several services behind one gateway: `mio gateway build`.

Each mio service declares its route in ``deploy/route.yaml`` (prefix, upstream,
timeouts, retries, limits). This module finds the services under some
directories by their answers files, reads and checks their routes, and renders
one gateway configuration for all of them plus a compose file that runs them
together, from the Jinja templates in ``scaffold/gateway_templates``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.errors import InvalidInput
from scaffold.project import ANSWERS_FILE, STAGING_PREFIX
from scaffold.resources import FORMER_SOURCES, TEMPLATE_SOURCE

ROUTE_FILE = Path("deploy") / "route.yaml"
TEMPLATES_DIR = Path(__file__).resolve().parent / "gateway_templates"

#: Files each engine's fleet configuration consists of, besides compose.yaml.
ENGINE_FILES: dict[str, tuple[str, ...]] = {
    "nginx": ("nginx.conf",),
    "traefik": ("traefik.yml", "dynamic.yml"),
    "envoy": ("envoy.yaml",),
}
#: Brokers a service's `messaging` answer may need, as compose services.
BROKERS: dict[str, dict[str, str]] = {
    "redis": {"image": "redis:7-alpine", "url": "redis://redis:6379"},
    "rabbitmq": {"image": "rabbitmq:3.13-alpine", "url": "amqp://guest:guest@rabbitmq:5672/"},
    "nats": {"image": "nats:2.10-alpine", "url": "nats://nats:4222"},
    "kafka": {"image": "apache/kafka:3.8.0", "url": "kafka://kafka:9092"},
}

_PREFIX = re.compile(r"/[a-z0-9][a-z0-9._~-]*(/[a-z0-9][a-z0-9._~-]*)*")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".cache"}


#: Paths a gateway keeps inside unless a route opens them (copier.yml's route has the same).
INTERNAL_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")


@dataclass(frozen=True)
class Route:
    """One service's route, as ``deploy/route.yaml`` declares it."""

    service: str
    prefix: str
    host: str
    port: int
    connect_seconds: int
    request_seconds: int
    retries: int
    max_body_bytes: int
    rate_per_second: int
    burst: int
    internal_paths: tuple[str, ...] = INTERNAL_PATHS

    @property
    def ident(self) -> str:
        """A name usable in every engine's identifiers (nginx zones, Envoy clusters)."""
        return self.service.replace("-", "_")

    @property
    def _internal_alternatives(self) -> str:
        escape = {ord("."): "\\."}  # the only regex character paths and prefixes allow
        paths = "|".join(path.translate(escape) for path in self.internal_paths)
        return f"{self.prefix.translate(escape)}({paths})"

    @property
    def internal_regex(self) -> str:
        """The internal paths under the prefix, for nginx and Traefik (a search)."""
        return f"^{self._internal_alternatives}(/|$)"

    @property
    def internal_whole_regex(self) -> str:
        """The same, matching a whole path (Envoy's safe_regex)."""
        return f"{self._internal_alternatives}(/.*)?"


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
        answers_files = sorted(_answers_files(directory))
        services = [s for s in (_load_service(f) for f in answers_files) if s is not None]
        if not services:
            raise InvalidInput(
                f"no mio service under {directory}: no {ANSWERS_FILE} made from the mio template"
            )
        for service in services:
            found.setdefault(service.path, service)
    fleet = sorted(found.values(), key=lambda s: s.route.prefix)
    _check_unique(fleet)
    return fleet


def load_route(path: Path) -> Route:
    """Read and check one ``deploy/route.yaml``; every rule broken names the file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the route ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a route is a mapping with service, prefix, upstream, ...")
    prefix = _field(path, data, "prefix", str)
    if not _PREFIX.fullmatch(prefix):
        raise InvalidInput(
            f"{path}: prefix must be an absolute path of lowercase segments without a "
            f"trailing '/', e.g. /api/orders; got {prefix!r}"
        )
    host = _field(path, data, "upstream.host", str)
    if not _HOST.fullmatch(host):
        raise InvalidInput(f"{path}: upstream.host must be a host name or address; got {host!r}")
    return Route(
        service=_field(path, data, "service", str),
        prefix=prefix,
        host=host,
        port=_number(path, data, "upstream.port", 1, 65535),
        connect_seconds=_number(path, data, "timeouts.connect_seconds", 1, 3600),
        request_seconds=_number(path, data, "timeouts.request_seconds", 1, 3600),
        retries=_number(path, data, "retries", 0, 10),
        max_body_bytes=_number(path, data, "limits.max_body_bytes", 1, 2**40),
        rate_per_second=_number(path, data, "limits.rate_per_second", 1, 10**7),
        burst=_number(path, data, "limits.burst", 0, 10**7),
        internal_paths=_internal_paths(path, data),
    )


def _internal_paths(path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    """`internal_paths`; a route written before the field existed keeps the defaults."""
    if "internal_paths" not in data:
        return INTERNAL_PATHS
    paths = data["internal_paths"] or []
    if not isinstance(paths, list) or not all(
        isinstance(item, str) and _PREFIX.fullmatch(item) for item in paths
    ):
        raise InvalidInput(
            f"{path}: internal_paths must be a list of absolute paths such as /metrics; "
            f"got {paths!r}"
        )
    return tuple(paths)


def parse_upstreams(items: Iterable[str]) -> dict[str, tuple[str, int]]:
    """``NAME=HOST:PORT`` overrides, to run a fleet without containers."""
    upstreams: dict[str, tuple[str, int]] = {}
    for item in items:
        name, _, address = item.partition("=")
        host, _, port = address.rpartition(":")
        if not (name and _HOST.fullmatch(host) and port.isdigit() and 0 < int(port) < 65536):
            raise InvalidInput(f"--upstream takes SERVICE=HOST:PORT, got {item!r}")
        upstreams[name] = (host, int(port))
    return upstreams


def build_fleet(
    directories: Iterable[Path],
    engine: str,
    output: Path,
    *,
    listen_port: int = 8080,
    upstreams: Mapping[str, tuple[str, int]] | None = None,
) -> Fleet:
    """Write one ``engine`` configuration routing to every service found, and a compose file.

    Everything is checked before a byte is written; the files appear in ``output``
    together or not at all.
    """
    if engine not in engines():
        raise InvalidInput(f"--engine must be one of: {', '.join(engines())}; got {engine!r}")
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

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # configuration files, not HTML
    )
    brokers = {s.messaging: BROKERS[s.messaging] for s in services if s.messaging in BROKERS}
    context: dict[str, Any] = {
        "engine": engine,
        "routes": [_moved(s.route, (upstreams or {}).get(s.route.service)) for s in services],
        "services": [
            {
                "route": s.route,
                "env_prefix": s.env_prefix,
                "build": os.path.relpath(s.path, output),
                "broker": s.messaging if s.messaging in BROKERS else None,
            }
            for s in services
        ],
        "brokers": brokers,
        "listen_port": listen_port,
        "config_files": ENGINE_FILES[engine],
    }
    names = (*ENGINE_FILES[engine], "compose.yaml")
    return {name: env.get_template(f"{name}.jinja").render(context) for name in names}


def _answers_files(directory: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(directory):
        # A staging folder of `mio new service` holds a half-made service, never a real one.
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(STAGING_PREFIX)]
        if ANSWERS_FILE in files:
            yield Path(root) / ANSWERS_FILE


def _load_service(answers_file: Path) -> FleetService | None:
    import yaml

    try:
        answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(answers, dict) or answers.get("_src_path") not in (
        TEMPLATE_SOURCE,
        *FORMER_SOURCES,
    ):
        return None
    project = answers_file.parent.resolve()
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
    from dataclasses import replace

    return replace(route, host=address[0], port=address[1])


def _field(path: Path, data: dict[str, Any], dotted: str, kind: type) -> Any:
    value: Any = data
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise InvalidInput(f"{path}: {dotted} is missing")
        value = value[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"{path}: {dotted} must be a {kind.__name__}; got {value!r}")
    return value


def _number(path: Path, data: dict[str, Any], dotted: str, low: int, high: int) -> int:
    value: int = _field(path, data, dotted, int)
    if not low <= value <= high:
        raise InvalidInput(f"{path}: {dotted} must be between {low} and {high}; got {value}")
    return value


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise InvalidInput(f"--output {output} exists and is not an empty directory")


def _write_atomically(output: Path, files: Mapping[str, str]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mio-gateway-", dir=output.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if output.is_dir():
            output.rmdir()
        os.rename(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
