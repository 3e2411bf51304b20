"""Offline checks of the gateway and deployment files mio writes.

nginx is checked by the real binary (`nginx -t`); Kubernetes core kinds by
kubernetes-validate; HTTPRoute and Traefik against the JSON schemas kept in
tests/data (excerpts of the published ones, see their $comment); Envoy by parsing
strictly into the message classes generated from Envoy's protos (envoy-data-plane).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DATA = Path(__file__).with_name("data")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KUBERNETES_VERSION = "1.30.0"


def nginx_test(
    config: Path, hosts: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on ``config`` with its directory as prefix.

    nginx resolves upstream host names while testing; ``hosts`` maps the names the
    configuration uses (compose service names) to addresses, through a private
    mount namespace in which /etc/hosts is replaced.
    """
    prefix = config.parent
    command = [
        NGINX,
        "-t",
        "-q",
        "-e",
        "stderr",
        "-p",
        str(prefix),
        "-c",
        str(config),
        "-g",
        f"pid {prefix / 'nginx.pid'};",
    ]
    if hosts:
        hosts_file = prefix / "hosts.test"
        hosts_file.write_text("".join(f"{ip} {name}\n" for name, ip in hosts.items()))
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        command = ["unshare", "--mount", "sh", "-c", script, str(hosts_file), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DATA / name).read_text())
    return schema


def validate_kubernetes(document: dict[str, Any]) -> None:
    """Core kinds with kubernetes-validate (strict); HTTPRoute with the Gateway API schema."""
    if document["kind"] == "HTTPRoute":
        assert document["apiVersion"] == "gateway.networking.k8s.io/v1"
        jsonschema.validate(document, _schema("httproute-v1.schema.json"))
        for rule in document["spec"]["rules"]:
            for match in rule.get("matches", []):
                _check_path_rules(match["path"]["value"])
        return
    import kubernetes_validate

    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def _check_path_rules(value: str) -> None:
    """The CEL rules of HTTPRoute path matches, which no JSON schema carries."""
    assert value.startswith("/")
    for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
        assert bad not in value, value
    assert re.fullmatch(r"(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+", value)


def validate_traefik_dynamic(document: dict[str, Any]) -> None:
    jsonschema.validate(document, _schema("traefik-v3-dynamic.schema.json"))
    http = document["http"]
    for router in http["routers"].values():
        assert router["service"] in http["services"]
        for middleware in router["middlewares"]:
            assert middleware in http["middlewares"]
    for service in http["services"].values():
        transport = service["loadBalancer"].get("serversTransport")
        assert transport is None or transport in http["serversTransports"]


def validate_envoy(text: str) -> Any:
    """Parse into Envoy's Bootstrap message, unknown fields refused, every Any unpacked."""
    with warnings.catch_warnings():  # its generated code uses a deprecated pydantic form
        warnings.simplefilter("ignore", DeprecationWarning)
        from envoy_data_plane.envoy.config.bootstrap.v3 import Bootstrap

        for type_url in set(re.findall(r"type\.googleapis\.com/([\w.]+)", text)):
            importlib.import_module("envoy_data_plane." + type_url.rsplit(".", 1)[0])
    bootstrap: Any = Bootstrap.from_dict(yaml.safe_load(text))
    clusters = {cluster.name for cluster in bootstrap.static_resources.clusters}
    for listener in bootstrap.static_resources.listeners:
        manager = listener.filter_chains[0].filters[0].typed_config.unpack()
        assert manager.http_filters[-1].name == "envoy.filters.http.router"
        for host in manager.route_config.virtual_hosts:
            for route in host.routes:
                if route.route is not None and route.route.cluster:
                    assert route.route.cluster in clusters, route.route.cluster
    return bootstrap


def check_compose(document: dict[str, Any], project: Path) -> None:
    """Static checks of a compose file (no Docker engine here)."""
    services = document["services"]
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (project / service["build"] / "Dockerfile").is_file(), name
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (project / source).is_file(), f"{name}: {source} is missing"


def make_service(parent: Path, name: str, **answers: Any) -> Path:
    """A service made as `mio new service` makes it (from the shipped template history)."""
    from scaffold.answers import validate_answers
    from scaffold.generate import create_service

    validated = validate_answers({"service_name": name, **answers})
    return create_service(validated, parent / name, git_init=False).path
