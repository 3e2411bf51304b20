"""Three generated services living together, on the machine's real brokers and a real nginx.

`orders` publishes `orders.items.created`; `billing` and `shipping` consume it (made with
`--consumes`, from orders' published contract); `billing` calls `shipping` through its
outbound client with a circuit breaker (a small route added to this test's copy of
billing). `mio gateway build` writes the nginx in front; the three run under uvicorn, all
on one broker, for Redis, RabbitMQ and NATS in turn, with a channel prefix of their own
(removed afterwards by the services' own clean-up). Kafka is not run here: no Kafka broker
can be had on this machine; its consumers are covered in memory only (test_consumes.py).

Shown for each broker: a POST through the gateway leads to each consumer's side effect
exactly once; one W3C trace id is in all three services' logs for that request; no service
handles events meant for another; with shipping stopped, billing's breaker opens, the
gateway answers 503 for shipping's prefix only and the others keep serving; shipping
restarted recovers (and takes the event published while it was down) without a restart
of the others.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway_checks import NGINX, nginx_test
from running import (
    BROKER_URLS,
    Service,
    call,
    env_prefix,
    eventually,
    free_port,
    remove_channels,
    running,
)

from scaffold.contracts import consumed_events
from scaffold.gateway import build_fleet
from scaffold.generate import create_service

SHIPPING_CHECK = '''\
"""Added by mio's system test: billing calls shipping through its outbound client."""

from fastapi import APIRouter, HTTPException

from .resilience.client import UpstreamDep

router = APIRouter()


@router.get("/shipping-check")
async def shipping_check(upstream: UpstreamDep) -> dict[str, int]:
    try:
        response = await upstream.get("/api/shipping/items")
    except Exception as error:
        raise HTTPException(503, detail=type(error).__name__) from error
    return {"shipping": response.status_code}
'''


@pytest.fixture(scope="module", autouse=True)
def _this_template(checkout_history: Path) -> None:
    """Services made from this checkout's template (see conftest.checkout_history)."""


def make_fleet(root: Path, broker: str) -> Path:
    services = root / "services"
    create_service(
        {"service_name": "orders", "messaging": broker}, services / "orders", lock=False,
        git_init=False,
    )  # fmt: skip
    consumes = ["orders.items.created"]
    fields = consumed_events(consumes, [services])  # read from orders' asyncapi.json
    for name, resilience in (("shipping", []), ("billing", ["circuit-breaker"])):
        answers = {
            "service_name": name,
            "messaging": broker,
            "resilience": resilience,
            "consumes": consumes,
            "consumed_events": fields,
        }
        create_service(answers, services / name, lock=False, git_init=False)
    package = services / "billing" / "src" / "billing"
    (package / "shipping_check.py").write_text(SHIPPING_CHECK)
    app = package / "app.py"
    text = app.read_text()
    anchor = "    app.include_router(items_router"
    assert anchor in text
    text = text.replace(anchor, "    app.include_router(shipping_check_router)\n" + anchor, 1)
    app.write_text("from .shipping_check import router as shipping_check_router\n" + text)
    return services


class Nginx:
    def __init__(self, output: Path) -> None:
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        config = self.output / "nginx.conf"
        checked = nginx_test(config)
        assert checked.returncode == 0, checked.stderr
        with (self.output / "nginx.out").open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    NGINX,
                    "-p",
                    str(self.output),
                    "-c",
                    str(config),
                    "-e",
                    str(self.output / "error.log"),
                    "-g",
                    f"pid {self.output / 'nginx.pid'}; daemon off;",
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(params=sorted(BROKER_URLS))
def fleet(
    request: pytest.FixtureRequest, tmp_path: Path, service_python: Path
) -> Iterator[tuple[str, str, dict[str, Service]]]:
    """The three services under uvicorn behind nginx, on one broker: (gateway, prefix, services)."""
    broker: str = request.param
    url = BROKER_URLS[broker]
    prefix = f"system-{secrets.token_hex(4)}."
    services_dir = make_fleet(tmp_path, broker)
    listen = free_port()
    gateway = f"http://127.0.0.1:{listen}"
    services = {}
    for name in ("orders", "shipping", "billing"):
        env = env_prefix(name)
        services[name] = Service(
            name,
            services_dir / name,
            service_python,
            env={
                f"{env}BROKER_URL": url,
                f"{env}CHANNEL_PREFIX": prefix,
                f"{env}ROOT_PATH": f"/api/{name}",
                f"{env}GATEWAY_URL": gateway,
                f"{env}BREAKER_FAILURE_THRESHOLD": "2",
                f"{env}BREAKER_RECOVERY_SECONDS": "1",
                f"{env}OUTBOUND_TIMEOUT_SECONDS": "2",
            },
        )
    upstreams = {name: ("127.0.0.1", service.port) for name, service in services.items()}
    build_fleet([services_dir], "nginx", tmp_path / "gateway", listen_port=listen,
                upstreams=upstreams)  # fmt: skip
    nginx = Nginx(tmp_path / "gateway")
    try:
        with running(*services.values()):
            nginx.start()
            eventually(lambda: status_of(f"{gateway}/api/orders/items") == 200)
            yield gateway, prefix, services
    finally:
        nginx.stop()
        for service in services.values():
            remove_channels(service, url, prefix)


def status_of(url: str) -> int:
    """The status of a GET, 0 while nothing listens."""
    try:
        return call("GET", url, timeout=5)[0]
    except OSError:
        return 0


def log_lines(service: Service) -> list[dict[str, object]]:
    lines = []
    for line in service.log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def handled(service: Service, channel: str) -> float:
    return service.metric("messaging_handled_events_total", handler=channel)


def post_item(gateway: str, name: str, traceparent: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if traceparent:
        headers["traceparent"] = traceparent
    status, _, body = call(
        "POST", f"{gateway}/api/{name}/items", json.dumps({"name": "book"}).encode(), headers
    )
    return status, json.loads(body)


def test_three_services_on_one_broker_behind_nginx(
    fleet: tuple[str, str, dict[str, Service]],
) -> None:
    gateway, prefix, services = fleet
    orders, shipping, billing = services["orders"], services["shipping"], services["billing"]
    channel = f"{prefix}orders.items.created"

    # A POST through the gateway: each consumer's side effect, exactly once.
    trace_id = secrets.token_hex(16)
    status, item = post_item(gateway, "orders", f"00-{trace_id}-{secrets.token_hex(8)}-01")
    assert status == 201, item
    for consumer in (billing, shipping):
        eventually(lambda c=consumer: handled(c, channel) == 1, message=consumer.tail())
    eventually(lambda: handled(orders, channel) == 1)  # orders' own subscriber
    # One trace id in all three services' logs for that request.
    for service in (orders, billing, shipping):
        traced = [line for line in log_lines(service) if line.get("trace_id") == trace_id]
        assert traced, f"{service.name}: no line of trace {trace_id}\n{service.tail()}"
    for consumer in (billing, shipping):
        reactions = [
            line
            for line in log_lines(consumer)
            if line.get("event") == "event consumed" and line.get("trace_id") == trace_id
        ]
        assert len(reactions) == 1, consumer.tail()
        assert consumer.metric("messaging_duplicate_events_total", handler=channel) == 0

    # No service handles events meant for another: billing's own event stays billing's.
    status, _ = post_item(gateway, "billing")
    assert status == 201
    billing_channel = f"{prefix}billing.items.created"
    eventually(lambda: handled(billing, billing_channel) == 1)
    for other in (orders, shipping):
        assert handled(other, billing_channel) == 0
        assert all(
            billing_channel not in line
            for line in other.metric_labels("messaging_handled_events_total")
        )
    assert handled(billing, channel) == 1 and handled(shipping, channel) == 1

    # Billing reaches shipping through the gateway and its outbound client.
    assert call("GET", f"{gateway}/api/billing/shipping-check")[0] == 200

    # Shipping stops: billing's breaker opens, the gateway answers 503 for shipping only.
    shipping.stop()
    answer = call("GET", f"{gateway}/api/shipping/items")
    assert answer[0] == 503 and answer[1].get("retry-after") == "5"
    for _ in range(3):
        assert call("GET", f"{gateway}/api/billing/shipping-check")[0] == 503
    assert billing.metric("outbound_circuit_breaker_state", upstream="gateway") == 2  # open
    status, _, body = call("GET", f"{gateway}/api/billing/shipping-check")
    assert status == 503 and json.loads(body)["detail"] == "CircuitOpen"  # refused at once
    assert call("GET", f"{gateway}/api/orders/items")[0] == 200
    assert call("GET", f"{gateway}/api/billing/items")[0] == 200
    status, _ = post_item(gateway, "orders")  # published while shipping is down
    assert status == 201
    eventually(lambda: handled(billing, channel) == 2)

    # Shipping restarts (the others keep running): billing recovers, shipping catches up.
    pids = (orders.process.pid, billing.process.pid)  # type: ignore[union-attr]
    shipping.start()
    eventually(lambda: status_of(f"{gateway}/api/billing/shipping-check") == 200)
    assert billing.metric("outbound_circuit_breaker_state", upstream="gateway") == 0
    eventually(lambda: handled(shipping, channel) == 1, message=shipping.tail())
    assert (orders.process.pid, billing.process.pid) == pids  # type: ignore[union-attr]
