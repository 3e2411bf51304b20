"""`mio gateway build`: one gateway for every service found, or one line naming the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from gateway_checks import (
    check_compose,
    make_service,
    nginx_test,
    validate_envoy,
    validate_traefik_dynamic,
)
from typer.testing import CliRunner

from helpers import tree
from scaffold.cli.app import app
from scaffold.gateway import engine_files, engines
from scaffold.platform import load_platform

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _this_template(checkout_history: Path) -> None:
    """Services made from this checkout's template (see conftest.checkout_history)."""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two services in one directory: one chose nginx, one no gateway at all."""
    root = tmp_path_factory.mktemp("fleet") / "services"
    root.mkdir()
    make_service(root, "orders", gateway="nginx")
    make_service(root, "billing-api", http_port=8100)
    return root


def build(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["gateway", "build", *args])
    return result.exit_code, result.output


def test_engines_are_the_catalog_values() -> None:
    assert set(load_platform().engines) == set(engines()) == {"nginx", "traefik", "envoy"}


@pytest.mark.parametrize("engine", ["nginx", "traefik", "envoy"])
def test_one_configuration_routes_every_service(
    services: Path, tmp_path: Path, engine: str
) -> None:
    output = tmp_path / "gateway"
    code, out = build(str(services), "--engine", engine, "--output", str(output))
    assert code == 0, out
    assert "/api/orders/ -> orders" in out and "/api/billing-api/ -> billing-api" in out
    assert {p.name for p in output.iterdir()} == {*engine_files(engine), "compose.yaml"}
    compose = yaml.safe_load((output / "compose.yaml").read_text())
    check_compose(compose, output)
    assert set(compose["services"]) == {"gateway", "orders", "billing-api"}
    billing = compose["services"]["billing-api"]
    assert billing["environment"]["BILLING_API_ROOT_PATH"] == "/api/billing-api"
    if engine == "nginx":
        hosts = {"orders": "127.0.0.1", "billing-api": "127.0.0.1"}
        result = nginx_test(output / "nginx.conf", hosts)
        assert result.returncode == 0, result.stderr
    elif engine == "traefik":
        dynamic = yaml.safe_load((output / "dynamic.yml").read_text())
        validate_traefik_dynamic(dynamic)
        assert set(dynamic["http"]["routers"]) == {"orders", "billing-api"}
    else:
        bootstrap = validate_envoy((output / "envoy.yaml").read_text())
        assert {c.name for c in bootstrap.static_resources.clusters} == {"orders", "billing_api"}


def test_upstream_moves_a_service_for_the_gateway_only(services: Path, tmp_path: Path) -> None:
    output = tmp_path / "gateway"
    code, out = build(
        str(services),
        "--engine",
        "nginx",
        "-o",
        str(output),
        "--upstream",
        "orders=127.0.0.1:9001",
        "--listen-port",
        "9080",
    )
    assert code == 0, out
    config = (output / "nginx.conf").read_text()
    assert "server 127.0.0.1:9001" in config and "listen 9080;" in config
    compose = yaml.safe_load((output / "compose.yaml").read_text())
    assert compose["services"]["orders"]["environment"]["ORDERS_PORT"] == "8000"


def _refused(tmp_path: Path, *args: str) -> str:
    before = tree(tmp_path)
    code, out = build(*args)
    assert code == 2, out
    assert tree(tmp_path) == before, "nothing may be written"
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, out
    return lines[0]


def test_duplicate_prefixes_are_refused(services: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(services / "orders", twin)
    route = twin / "deploy" / "route.yaml"
    route.write_text(route.read_text().replace("service: orders", "service: orders-twin"))
    line = _refused(
        tmp_path, str(services), str(twin), "--engine", "nginx", "-o", str(tmp_path / "out")
    )
    assert "duplicate prefix /api/orders" in line


def test_a_directory_without_a_service_is_refused(services: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".copier-answers.yml").write_text("_src_path: https://example.invalid/other.git\n")
    line = _refused(
        tmp_path, str(services), str(empty), "--engine", "nginx", "-o", str(tmp_path / "out")
    )
    assert f"no mio service under {empty}" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "haproxy"], "--engine must be one of: nginx, traefik, envoy"),
        (["--engine", "nginx", "--upstream", "orders=nowhere"], "takes SERVICE=HOST:PORT"),
        (["--engine", "nginx", "--upstream", "ghost=127.0.0.1:1"], "names no service found: ghost"),
        (["--engine", "nginx", "--listen-port", "0"], "--listen-port must be between"),
    ],
)
def test_bad_flags_are_refused(
    services: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    line = _refused(tmp_path, str(services), "-o", str(tmp_path / "out"), *args)
    assert message in line


def test_an_output_with_files_is_never_written_into(services: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    line = _refused(tmp_path, str(services), "--engine", "nginx", "-o", str(output))
    assert "exists and is not an empty directory" in line


def test_a_broken_route_is_refused_naming_the_file(services: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(services / "billing-api", broken)
    route = broken / "deploy" / "route.yaml"
    route.write_text(route.read_text().replace("prefix: /api/billing-api", "prefix: api/x/"))
    line = _refused(tmp_path, str(broken), "--engine", "nginx", "-o", str(tmp_path / "out"))
    assert str(route) in line and "prefix must be an absolute path" in line


def _significant(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize(
    ("engine", "service_file", "fleet_file"),
    [
        ("nginx", "deploy/nginx/nginx.conf", "nginx.conf"),
        ("traefik", "deploy/traefik/dynamic.yml", "dynamic.yml"),
        ("envoy", "deploy/envoy/envoy.yaml", "envoy.yaml"),
    ],
)
def test_a_fleet_of_one_is_the_services_own_engine_file(
    tmp_path: Path, engine: str, service_file: str, fleet_file: str
) -> None:
    """Copier renders the engine file from the answers, mio from deploy/route.yaml:
    for one service the two agree line for line (comments aside)."""
    root = tmp_path / "one"
    root.mkdir()
    project = make_service(root, "orders-api", gateway=engine, http_port=8100)
    output = tmp_path / "gateway"
    code, out = build(str(root), "--engine", engine, "-o", str(output))
    assert code == 0, out
    own = (project / service_file).read_text()
    assert _significant((output / fleet_file).read_text()) == _significant(own)


@pytest.mark.parametrize("engine", ["nginx", "envoy"])
def test_a_route_of_releases_0_1_to_0_3_builds_the_same_gateway(
    services: Path, tmp_path: Path, engine: str
) -> None:
    """Those releases wrote timeouts.connect_seconds and timeouts.request_seconds."""
    old = tmp_path / "old" / "orders"
    shutil.copytree(services / "orders", old)
    route = old / "deploy" / "route.yaml"
    today = "connect_timeout_seconds: 2\nrequest_timeout_seconds: 30\n"
    assert today in route.read_text()
    spelt_before = "timeouts:\n  connect_seconds: 2\n  request_seconds: 30\n"
    route.write_text(route.read_text().replace(today, spelt_before))
    built = {}
    for name, source in (("today", services / "orders"), ("before", old)):
        code, out = build(str(source), "--engine", engine, "-o", str(tmp_path / name))
        assert code == 0, out
        built[name] = [(tmp_path / name / file).read_text() for file in engine_files(engine)]
    assert built["before"] == built["today"]


def test_the_fleet_runs_each_broker_of_data_platform_once(tmp_path: Path) -> None:
    root = tmp_path / "services"
    root.mkdir()
    make_service(root, "orders", messaging="nats")
    make_service(root, "billing", messaging="nats")
    output = tmp_path / "gateway"
    code, out = build(str(root), "--engine", "traefik", "-o", str(output))
    assert code == 0, out
    compose = yaml.safe_load((output / "compose.yaml").read_text())
    check_compose(compose, output)
    platform = load_platform()
    nats, traefik = platform.brokers["nats"], platform.engines["traefik"]
    assert set(compose["services"]) == {"gateway", "nats", "orders", "billing"}
    assert compose["services"]["nats"] == {"image": nats.image, "command": list(nats.command)}
    for name in ("orders", "billing"):
        environment = compose["services"][name]["environment"]
        assert environment[f"{name.upper()}_BROKER_URL"] == nats.url("nats")
        assert compose["services"][name]["depends_on"] == ["nats"]
    gateway = compose["services"]["gateway"]
    assert (gateway["image"], gateway["command"]) == (traefik.image, list(traefik.command))
    assert gateway["ports"] == [f"{platform.gateway_port}:{platform.gateway_port}"]
