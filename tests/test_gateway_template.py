"""The api-gateway pattern: what a generated service gets, checked offline and with nginx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from gateway_checks import (
    check_compose,
    nginx_test,
    validate_envoy,
    validate_kubernetes,
    validate_traefik_dynamic,
)

from helpers import assert_ok, run_in, run_service_tests
from scaffold.platform import load_platform
from scaffold.routes import default_internal_paths, load_route

GATEWAYS = ("none", "nginx", "traefik", "envoy")
ENGINE_FILES = {  # the files data/platform.yml lists, in deploy/<engine>/
    name: {f"deploy/{name}/{file}" for file in engine.file_names}
    for name, engine in load_platform().engines.items()
}
ALWAYS = {
    "deploy/route.yaml",
    "deploy/k8s/deployment.yaml",
    "deploy/k8s/service.yaml",
    "deploy/k8s/hpa.yaml",
    "deploy/k8s/pdb.yaml",
    "deploy/k8s/networkpolicy.yaml",
    "compose.yaml",
}


@pytest.fixture(scope="module")
def rendered(copie_session: Any) -> dict[str, Path]:
    """One service per gateway choice (orders-api: a name with a dash)."""
    projects = {}
    for gateway in GATEWAYS:
        result = copie_session.copy(
            extra_answers={"service_name": "orders-api", "gateway": gateway, "http_port": 8100}
        )
        assert result.exception is None, result.exception
        projects[gateway] = Path(result.project_dir)
    return projects


def _files(project: Path) -> set[str]:
    deploy = {str(p.relative_to(project)) for p in (project / "deploy").rglob("*") if p.is_file()}
    return deploy | ({"compose.yaml"} if (project / "compose.yaml").is_file() else set())


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_files_follow_the_gateway_choice(rendered: dict[str, Path], gateway: str) -> None:
    expected = set(ALWAYS) | ENGINE_FILES.get(gateway, set())
    if gateway != "none":
        expected.add("deploy/k8s/httproute.yaml")
    assert _files(rendered[gateway]) == expected


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_route_declares_prefix_upstream_timeouts_retries_and_limits(
    rendered: dict[str, Path], gateway: str
) -> None:
    route = load_route(rendered[gateway] / "deploy" / "route.yaml")
    assert (route.service, route.prefix) == ("orders-api", "/api/orders-api")
    assert (route.host, route.port) == ("orders-api", 8100)
    assert route.request_timeout_seconds > route.connect_timeout_seconds > 0
    assert route.retries >= 1 and route.max_body_bytes == 1_048_576
    assert route.rate_per_second > 0 and route.burst > 0


def test_nginx_config_passes_nginx_t_and_carries_the_route(rendered: dict[str, Path]) -> None:
    config = rendered["nginx"] / "deploy" / "nginx" / "nginx.conf"
    result = nginx_test(config, hosts={"orders-api": "127.0.0.1"})
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    route = load_route(rendered["nginx"] / "deploy" / "route.yaml")
    for directive in (
        f"location {route.prefix}/ {{",
        "server orders-api:8100",
        "keepalive 64;",
        'proxy_set_header Connection "";',
        f"client_max_body_size {route.max_body_bytes};",
        f"rate={route.rate_per_second}r/s",
        f"burst={route.burst} nodelay",
        f"proxy_read_timeout {route.request_timeout_seconds}s;",
    ):
        assert directive in text, directive


def test_nginx_t_fails_on_a_broken_config(rendered: dict[str, Path], tmp_path: Path) -> None:
    """The nginx check can fail: a directive nginx does not know is refused."""
    broken = tmp_path / "nginx.conf"
    text = (rendered["nginx"] / "deploy" / "nginx" / "nginx.conf").read_text()
    broken.write_text(text.replace("keepalive 64;", "keepalive_forever 64;"))
    assert nginx_test(broken, hosts={"orders-api": "127.0.0.1"}).returncode != 0


def test_traefik_dynamic_config_matches_the_published_schema(rendered: dict[str, Path]) -> None:
    traefik = rendered["traefik"] / "deploy" / "traefik"
    dynamic = yaml.safe_load((traefik / "dynamic.yml").read_text())
    validate_traefik_dynamic(dynamic)
    middlewares = dynamic["http"]["middlewares"]
    assert middlewares["orders-api-body-limit"]["buffering"]["maxRequestBodyBytes"] == 1_048_576
    static = yaml.safe_load((traefik / "traefik.yml").read_text())
    assert static["providers"]["file"]["filename"].endswith("dynamic.yml")


def test_traefik_schema_refuses_a_misspelt_middleware(rendered: dict[str, Path]) -> None:
    import jsonschema

    dynamic = yaml.safe_load((rendered["traefik"] / "deploy/traefik/dynamic.yml").read_text())
    dynamic["http"]["middlewares"]["orders-api-retry"] = {"retry": {"attempt": 3}}
    with pytest.raises(jsonschema.ValidationError):
        validate_traefik_dynamic(dynamic)


def test_envoy_config_parses_into_envoys_proto_messages(rendered: dict[str, Path]) -> None:
    text = (rendered["envoy"] / "deploy" / "envoy" / "envoy.yaml").read_text()
    bootstrap = validate_envoy(text)
    (cluster,) = bootstrap.static_resources.clusters
    assert cluster.name == "orders_api"
    assert cluster.connect_timeout.total_seconds() == 2


def test_envoy_check_refuses_an_unknown_field(rendered: dict[str, Path]) -> None:
    text = (rendered["envoy"] / "deploy" / "envoy" / "envoy.yaml").read_text()
    with pytest.raises(KeyError, match="max_request_byte"):
        validate_envoy(text.replace("max_request_bytes:", "max_request_byte:"))


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_every_kubernetes_manifest_validates(rendered: dict[str, Path], gateway: str) -> None:
    manifests = sorted((rendered[gateway] / "deploy" / "k8s").glob("*.yaml"))
    kinds = set()
    for manifest in manifests:
        document = yaml.safe_load(manifest.read_text())
        validate_kubernetes(document)
        kinds.add(document["kind"])
    expected = {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    assert kinds == expected | ({"HTTPRoute"} if gateway != "none" else set())


def test_deployment_runs_as_non_root_with_limits_and_probes(rendered: dict[str, Path]) -> None:
    document = yaml.safe_load((rendered["nginx"] / "deploy/k8s/deployment.yaml").read_text())
    pod = document["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["ORDERS_API_ROOT_PATH"] == "/api/orders-api"
    assert env["ORDERS_API_FORWARDED_ALLOW_IPS"] != "*"  # not from anyone


def test_rolling_updates_drop_no_request_and_only_the_gateway_reaches_the_pods(
    rendered: dict[str, Path],
) -> None:
    deployment = yaml.safe_load((rendered["none"] / "deploy/k8s/deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The pause, then uvicorn's requests and the subscriber's drain (10 s + 5 s) fit.
    assert pause >= 5
    assert pod["terminationGracePeriodSeconds"] >= pause + 15 + 20
    policy = yaml.safe_load((rendered["none"] / "deploy/k8s/networkpolicy.yaml").read_text())
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "orders-api"}
    (rule,) = policy["spec"]["ingress"]
    allowed = [peer["podSelector"]["matchLabels"] for peer in rule["from"]]
    assert allowed == [
        {"app.kubernetes.io/component": "gateway"},
        {"app.kubernetes.io/name": "prometheus"},
    ]
    assert rule["ports"] == [{"port": 8100, "protocol": "TCP"}]


@pytest.mark.parametrize("messaging", ["redis", "rabbitmq", "nats", "kafka"])
def test_the_broker_url_comes_from_a_secret(copie: Any, messaging: str) -> None:
    result = copie.copy(extra_answers={"service_name": "orders", "messaging": messaging})
    assert result.exception is None, result.exception
    deployment = yaml.safe_load(
        (Path(result.project_dir) / "deploy/k8s/deployment.yaml").read_text()
    )
    validate_kubernetes(deployment)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (url,) = [item for item in container["env"] if item["name"] == "ORDERS_BROKER_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": "orders-broker", "key": "url"}


def test_kubernetes_check_refuses_a_wrong_field(rendered: dict[str, Path]) -> None:
    from kubernetes_validate.utils import ValidationError

    document = yaml.safe_load((rendered["none"] / "deploy/k8s/pdb.yaml").read_text())
    document["spec"]["minAvailabel"] = 1
    with pytest.raises(ValidationError):
        validate_kubernetes(document)


def test_httproute_routes_the_prefix_to_the_service(rendered: dict[str, Path]) -> None:
    import jsonschema

    document = yaml.safe_load((rendered["envoy"] / "deploy/k8s/httproute.yaml").read_text())
    rule, internal = document["spec"]["rules"]
    assert rule["matches"][0]["path"] == {"type": "PathPrefix", "value": "/api/orders-api"}
    assert rule["backendRefs"] == [{"name": "orders-api", "port": 8100}]
    # Probes, metrics and docs: longer prefixes, no backend: never forwarded.
    assert "backendRefs" not in internal
    assert {match["path"]["value"] for match in internal["matches"]} == {
        f"/api/orders-api{path}" for path in default_internal_paths()
    }
    rule["timeouts"]["request"] = "30 seconds"
    with pytest.raises(jsonschema.ValidationError):
        validate_kubernetes(document)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_compose_runs_the_service_and_the_gateway_in_front(
    rendered: dict[str, Path], gateway: str
) -> None:
    project = rendered[gateway]
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    check_compose(compose, project)
    service = compose["services"]["orders-api"]
    if gateway == "none":
        assert set(compose["services"]) == {"orders-api"}
        assert service["ports"] == ["8100:8100"]
    else:
        assert compose["services"]["gateway"]["depends_on"] == ["orders-api"]
        assert service["environment"]["ORDERS_API_ROOT_PATH"] == "/api/orders-api"
        assert "ports" not in service  # reached through the gateway only


@pytest.mark.parametrize("messaging", ["redis", "rabbitmq", "nats", "kafka"])
def test_compose_adds_the_broker_of_data_platform_when_messaging_is_chosen(
    copie: Any, messaging: str
) -> None:
    result = copie.copy(extra_answers={"service_name": "orders", "messaging": messaging})
    assert result.exception is None, result.exception
    project = Path(result.project_dir)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    check_compose(compose, project)
    broker = load_platform().brokers[messaging]
    assert compose["services"]["broker"]["image"] == broker.image
    assert compose["services"]["broker"].get("command", []) == list(broker.command)
    assert compose["services"]["orders"]["depends_on"] == ["broker"]
    assert compose["services"]["orders"]["environment"]["ORDERS_BROKER_URL"] == broker.url("broker")


@pytest.mark.parametrize("gateway", ["nginx", "traefik", "envoy"])
def test_compose_runs_the_engine_of_data_platform_on_its_files(
    rendered: dict[str, Path], gateway: str
) -> None:
    engine = load_platform().engines[gateway]
    port = load_platform().gateway_port
    compose = yaml.safe_load((rendered[gateway] / "compose.yaml").read_text())
    container = compose["services"]["gateway"]
    assert container["image"] == engine.image
    assert container.get("command", []) == list(engine.command)
    assert container["ports"] == [f"{port}:{port}"]
    assert container["volumes"] == [
        f"./deploy/{gateway}/{name}:{target}:ro" for name, target in engine.files
    ]


@pytest.mark.parametrize("gateway", ["nginx", "traefik", "envoy"])
def test_service_behind_a_gateway_passes_its_own_tests_ruff_and_mypy(
    rendered: dict[str, Path], service_python: Path, gateway: str
) -> None:
    project = rendered[gateway]
    assert (project / "tests" / "test_gateway_prefix.py").is_file()
    assert_ok(run_service_tests(service_python, project))
    assert_ok(run_in(service_python, project, "ruff", "check", "."))
    assert_ok(run_in(service_python, project, "mypy"))


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_dockerfile_compose_kubernetes_and_route_agree_on_the_port(
    rendered: dict[str, Path], gateway: str
) -> None:
    project = rendered[gateway]
    route = load_route(project / "deploy" / "route.yaml")
    dockerfile = (project / "Dockerfile").read_text().splitlines()
    exposed = [line.split()[1] for line in dockerfile if line.startswith("EXPOSE ")]
    deployment = yaml.safe_load((project / "deploy/k8s/deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    service = yaml.safe_load((project / "deploy/k8s/service.yaml").read_text())
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    environment = compose["services"]["orders-api"]["environment"]
    assert exposed == [str(route.port)]
    assert container["ports"][0]["containerPort"] == route.port
    assert service["spec"]["ports"][0]["port"] == route.port
    assert environment["ORDERS_API_PORT"] == str(route.port)
