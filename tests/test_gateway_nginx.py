"""Two generated services behind the nginx configuration `mio gateway build` writes,
with real uvicorn processes and a real nginx on loopback ports."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gateway_checks import NGINX, make_service, nginx_test
from running import free_port

from scaffold.gateway import build_fleet

LIMITED_BODY = 1024


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Response(resp.status, _lower(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, _lower(error.headers.items()), error.read())


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited:\n{log.read_text()[-3000:]}")
        try:
            if request(url).status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in time:\n{log.read_text()[-3000:]}")


def start(command: list[str], log: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module", autouse=True)
def _this_template(checkout_history: Path) -> None:
    """Services made from this checkout's template (see conftest.checkout_history)."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, service_python: Path) -> Iterator[str]:
    """The base URL of nginx in front of `orders` and `billing-api` (tight limits)."""
    root = tmp_path_factory.mktemp("nginx-fleet")
    services = root / "services"
    services.mkdir()
    orders = make_service(services, "orders", gateway="nginx")
    billing = make_service(services, "billing-api")
    route = billing / "deploy" / "route.yaml"
    text = route.read_text()
    for old, new in (
        ("max_body_bytes: 1048576", f"max_body_bytes: {LIMITED_BODY}"),
        ("rate_per_second: 100", "rate_per_second: 1"),
        ("burst: 200", "burst: 2"),
    ):
        assert old in text
        text = text.replace(old, new)
    route.write_text(text)
    # orders opens its API docs on purpose; billing-api keeps every internal path inside.
    opened = orders / "deploy" / "route.yaml"
    closed = "internal_paths: [/healthz, /readyz, /metrics, /docs, /redoc, /openapi.json]"
    assert closed in opened.read_text()
    opened.write_text(
        opened.read_text().replace(closed, "internal_paths: [/healthz, /readyz, /metrics, /redoc]")
    )

    processes: list[subprocess.Popen[bytes]] = []
    try:
        upstreams = {}
        for project, package, prefix in (
            (orders, "orders", "ORDERS_"),
            (billing, "billing_api", "BILLING_API_"),
        ):
            port = free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(project / "src"),
                f"{prefix}PORT": str(port),
                f"{prefix}ROOT_PATH": f"/api/{project.name}",
                f"{prefix}LOG_LEVEL": "WARNING",
            }
            log = root / f"{project.name}.log"
            process = start([str(service_python), "-m", package], log, cwd=project, env=env)
            processes.append(process)
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
            upstreams[project.name] = ("127.0.0.1", port)

        listen = free_port()
        output = root / "gateway"
        build_fleet([services], "nginx", output, listen_port=listen, upstreams=upstreams)
        config = output / "nginx.conf"
        checked = nginx_test(config)
        assert checked.returncode == 0, checked.stderr
        log = output / "error.log"
        nginx = start(
            [
                NGINX,
                "-p",
                str(output),
                "-c",
                str(config),
                "-e",
                str(log),
                "-g",
                f"pid {output / 'nginx.pid'}; daemon off;",
            ],
            output / "nginx.out",
        )
        processes.append(nginx)
        base = f"http://127.0.0.1:{listen}"
        wait_until_up(f"{base}/", nginx, output / "nginx.out")
        yield base
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_each_prefix_reaches_its_own_service(gateway: str) -> None:
    response = request(f"{gateway}/api/orders/openapi.json")  # opened on purpose
    assert response.status == 200
    document = response.json()
    assert isinstance(document, dict)
    assert document["info"]["title"] == "orders"
    assert document["servers"] == [{"url": "/api/orders"}]
    assert request(f"{gateway}/api/billing-api/items").status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/readyz",
        "/metrics",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
    ],
)
def test_probes_metrics_and_docs_stay_inside_unless_opened(gateway: str, path: str) -> None:
    answer = request(f"{gateway}/api/billing-api{path}")
    assert answer.status == 404
    assert answer.json() == {"detail": "Not Found"}  # the gateway's, not the service's
    if path in ("/healthz", "/readyz", "/metrics", "/redoc"):  # orders keeps these inside too
        assert request(f"{gateway}/api/orders{path}").status == 404


def test_docs_page_links_work_through_the_gateway(gateway: str) -> None:
    page = request(f"{gateway}/api/orders/docs")
    assert page.status == 200
    assert b"/api/orders/openapi.json" in page.body
    assert request(f"{gateway}/api/orders/openapi.json").status == 200


def test_requests_pass_with_their_body_and_request_id(gateway: str) -> None:
    created = request(
        f"{gateway}/api/orders/items",
        method="POST",
        body=b'{"name": "pen"}',
        headers={"Content-Type": "application/json", "X-Request-ID": "trace-1"},
    )
    assert created.status == 201
    assert created.headers["x-request-id"] == "trace-1"
    item = created.json()
    assert isinstance(item, dict)
    fetched = request(f"{gateway}/api/orders/items/{item['id']}")
    assert fetched.status == 200 and fetched.json() == item


def test_unknown_prefix_is_404(gateway: str) -> None:
    for path in ("/api/unknown/items", "/", "/api/order/items", "/api/ordersx/healthz"):
        assert request(f"{gateway}{path}").status == 404, path


def test_body_over_the_limit_is_413_from_the_gateway(gateway: str) -> None:
    response = request(
        f"{gateway}/api/billing-api/items",
        method="POST",
        body=b"x" * (LIMITED_BODY + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert b"nginx" in response.body  # nginx's page: the service never saw the body
    small = request(
        f"{gateway}/api/orders/items",
        method="POST",
        body=b"x" * (LIMITED_BODY + 1),
        headers={"Content-Type": "application/json"},
    )
    assert small.status == 422  # orders keeps the default 1 MiB limit: the service answers


def test_a_burst_over_the_rate_limit_is_429(gateway: str) -> None:
    time.sleep(1.1)  # earlier tests may have used billing-api's tokens
    statuses = [request(f"{gateway}/api/billing-api/items").status for _ in range(10)]
    assert statuses[0] == 200
    assert statuses.count(429) >= 5, statuses
    assert request(f"{gateway}/api/orders/items").status == 200  # its own zone
