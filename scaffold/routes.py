"""A service's route, ``deploy/route.yaml``: the typed model and its one reader.

The template writes the file (from copier.yml's ``route``, with the same field names); a
gateway engine's configuration is rendered from the fields here, by the macros in
``data/gateway/`` (see :mod:`scaffold.gateway`). Reading checks every rule and stops at
the first broken one with a one-line message naming the file, the field and the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.errors import InvalidInput

ROUTE_FILE = Path("deploy") / "route.yaml"

#: Field names of the template's releases 0.1.0 to 0.3.0, still read so that
#: `mio gateway build` takes services not yet updated: field -> the old dotted path.
OLD_SPELLINGS: dict[str, str] = {
    "connect_timeout_seconds": "timeouts.connect_seconds",
    "request_timeout_seconds": "timeouts.request_seconds",
}

PREFIX = re.compile(r"/[a-z0-9][a-z0-9._~-]*(/[a-z0-9][a-z0-9._~-]*)*")
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")

#: The whole numbers of a route: field, where the file holds it, lowest and highest value.
_NUMBERS: tuple[tuple[str, str, int, int], ...] = (
    ("port", "upstream.port", 1, 65535),
    ("connect_timeout_seconds", "connect_timeout_seconds", 1, 3600),
    ("request_timeout_seconds", "request_timeout_seconds", 1, 3600),
    ("retries", "retries", 0, 10),
    ("max_body_bytes", "limits.max_body_bytes", 1, 2**40),
    ("rate_per_second", "limits.rate_per_second", 1, 10**7),
    ("burst", "limits.burst", 0, 10**7),
)


@dataclass(frozen=True)
class Route:
    """One service's route: where a gateway sends its prefix, and the limits on the way."""

    service: str
    prefix: str
    host: str
    port: int
    connect_timeout_seconds: int
    request_timeout_seconds: int
    retries: int
    max_body_bytes: int
    rate_per_second: int
    burst: int
    #: Paths under the prefix the gateway answers 404 itself (probes, metrics, API docs).
    internal_paths: tuple[str, ...]


def default_internal_paths() -> tuple[str, ...]:
    """copier.yml's ``route.internal_paths``: what a route without the field keeps inside."""
    from scaffold.answers import load_copier_yml

    return tuple(load_copier_yml()["route"]["default"]["internal_paths"])


def load_route(path: Path) -> Route:
    """Read ``path``; text that is not a route raises :class:`InvalidInput` naming the file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the route ({type(exc).__name__})") from None
    return parse_route(data, path)


def parse_route(data: Any, path: Path) -> Route:
    """Check ``data`` (deploy/route.yaml's content) against every rule of a route."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a route is a mapping with service, prefix, upstream, ...")
    prefix = _field(path, data, "prefix", str)
    if not PREFIX.fullmatch(prefix):
        raise InvalidInput(
            f"{path}: prefix must be an absolute path of lowercase segments without a "
            f"trailing '/', e.g. /api/orders; got {prefix!r}"
        )
    host = _field(path, data, "upstream.host", str)
    if not HOST.fullmatch(host):
        raise InvalidInput(f"{path}: upstream.host must be a host name or address; got {host!r}")
    numbers = {
        field: _number(path, data, dotted, low, high) for field, dotted, low, high in _NUMBERS
    }
    return Route(
        service=_field(path, data, "service", str),
        prefix=prefix,
        host=host,
        internal_paths=_internal_paths(path, data),
        **numbers,
    )


def _internal_paths(path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    """`internal_paths`; a route written before the field existed keeps the defaults."""
    if "internal_paths" not in data:
        return default_internal_paths()
    paths = data["internal_paths"] or []
    if not isinstance(paths, list) or not all(
        isinstance(item, str) and PREFIX.fullmatch(item) for item in paths
    ):
        raise InvalidInput(
            f"{path}: internal_paths must be a list of absolute paths such as /metrics; "
            f"got {paths!r}"
        )
    return tuple(paths)


def _lookup(data: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    value: Any = data
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _field(path: Path, data: dict[str, Any], dotted: str, kind: type) -> Any:
    return _spelt_field(path, data, dotted, kind)[0]


def _spelt_field(path: Path, data: dict[str, Any], dotted: str, kind: type) -> tuple[Any, str]:
    """The value at ``dotted``, else at its old spelling, of type ``kind``; and where it was."""
    found, value = _lookup(data, dotted)
    if not found and dotted in OLD_SPELLINGS:
        found, value = _lookup(data, OLD_SPELLINGS[dotted])
        dotted = OLD_SPELLINGS[dotted] if found else dotted
    if not found:
        raise InvalidInput(f"{path}: {dotted} is missing")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"{path}: {dotted} must be a {kind.__name__}; got {value!r}")
    return value, dotted


def _number(path: Path, data: dict[str, Any], dotted: str, low: int, high: int) -> int:
    value, spelling = _spelt_field(path, data, dotted, int)
    if not low <= value <= high:
        raise InvalidInput(f"{path}: {spelling} must be between {low} and {high}; got {value}")
    return int(value)
