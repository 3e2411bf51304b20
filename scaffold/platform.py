"""The brokers and gateway engines a service runs beside, read from ``data/platform.yml``.

Images, ports, broker URLs and the engines' configuration files are written once, in that
file: the template reads it through ``data/gateway/*.jinja`` (its compose.yaml and
deploy/), mio reads it here (``mio gateway build``), and so do the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from scaffold.resources import resource_root

PLATFORM_FILE = "data/platform.yml"


@dataclass(frozen=True)
class Broker:
    """A message broker as a container, keyed by the service's ``messaging`` answer."""

    name: str
    image: str
    port: int
    url_pattern: str  # with {host} and {port}
    command: tuple[str, ...] = ()

    def url(self, host: str) -> str:
        """The URL a service reaches this broker at, when it runs on ``host``."""
        return self.url_pattern.format(host=host, port=self.port)


@dataclass(frozen=True)
class GatewayEngine:
    """A gateway engine as a container, keyed by the service's ``gateway`` answer."""

    name: str
    image: str
    #: Each configuration file, and where the container reads it, in the order written.
    files: tuple[tuple[str, str], ...]
    command: tuple[str, ...] = ()

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.files)


@dataclass(frozen=True)
class Platform:
    brokers: Mapping[str, Broker]
    engines: Mapping[str, GatewayEngine]
    #: The port a gateway listens on (a service's own; the fleet's default).
    gateway_port: int


@cache
def load_platform() -> Platform:
    """``data/platform.yml`` of the template mio ships (or of this checkout)."""
    import yaml

    data: dict[str, Any] = yaml.safe_load(
        (resource_root() / PLATFORM_FILE).read_text(encoding="utf-8")
    )
    brokers = {
        name: Broker(
            name=name,
            image=spec["image"],
            port=int(spec["port"]),
            url_pattern=spec["url"],
            command=tuple(spec.get("command") or ()),
        )
        for name, spec in data["brokers"].items()
    }
    gateway = data["gateway"]
    engines = {
        name: GatewayEngine(
            name=name,
            image=spec["image"],
            files=tuple((file, target) for file, target in spec["files"].items()),
            command=tuple(spec.get("command") or ()),
        )
        for name, spec in gateway["engines"].items()
    }
    return Platform(brokers=brokers, engines=engines, gateway_port=int(gateway["port"]))
