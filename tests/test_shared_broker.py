"""Several services on one broker: every name carries its service's name, so two services
on the machine's real Redis, RabbitMQ and NATS neither clash nor hear each other's events.
Kafka is covered with FastStream's in-memory broker only: its names are checked, not a
real cluster."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from running import BROKER_URLS, Service, call, env_prefix, eventually, remove_channels, running

from helpers import render

HANDLED = "messaging_handled_events_total"


def post_items(service: Service, count: int) -> None:
    for number in range(count):
        status, _, body = call(
            "POST",
            f"{service.base}/items",
            json.dumps({"name": f"{service.name}-{number}"}).encode(),
            {"content-type": "application/json"},
        )
        assert status == 201, body


@pytest.mark.parametrize("broker", sorted(BROKER_URLS))
def test_two_services_on_one_broker_neither_clash_nor_cross_talk(
    copie: Any, service_python: Path, broker: str, tmp_path: Path
) -> None:
    url = BROKER_URLS[broker]
    prefix = f"mio-{uuid.uuid4().hex[:8]}."  # one environment of this run's own
    services = [
        Service(
            name,
            render(copie, service_name=name, messaging=broker),
            service_python,
            {
                f"{env_prefix(name)}BROKER_URL": url,
                f"{env_prefix(name)}CHANNEL_PREFIX": prefix,
                f"{env_prefix(name)}LOG_LEVEL": "WARNING",
            },
        )
        for name in ("orders", "billing")
    ]
    orders, billing = services
    try:
        with running(*services):  # both ready: the second does not clash with the first
            post_items(orders, 3)
            post_items(billing, 2)
            channel = {
                service.name: f"{prefix}{service.name}.items.created" for service in services
            }
            eventually(lambda: orders.metric(HANDLED, handler=channel["orders"]) == 3)
            eventually(lambda: billing.metric(HANDLED, handler=channel["billing"]) == 2)
            time.sleep(1.5)  # time for any event to reach the wrong service
            assert orders.metric(HANDLED, handler=channel["orders"]) == 3
            assert billing.metric(HANDLED, handler=channel["billing"]) == 2
            assert [line for line in orders.metric_labels(HANDLED) if "billing" in line] == []
            assert [line for line in billing.metric_labels(HANDLED) if "orders" in line] == []
            for service in services:
                assert call("GET", f"{service.base}/readyz")[0] == 200
    finally:
        for service in services:
            remove_channels(service, url, prefix)


def names_of(project: Path, name: str) -> dict[str, str]:
    script = (
        "import dataclasses, json\n"
        f"from {name}.messaging.events import Channels\n"
        f"from {name}.messaging.runtime import SERVICE_NAME\n"
        "print(json.dumps(dataclasses.asdict(Channels.named(SERVICE_NAME))))\n"
    )
    return json.loads(
        subprocess.run(
            [os.environ.get("SERVICE_PYTHON", ""), "-c", script],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project / "src")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_kafka_names_carry_the_service_name_in_memory_only(
    copie: Any, service_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Kafka broker can be had here: this checks the topics and groups each service
    would use, not their behaviour on a cluster."""
    monkeypatch.setenv("SERVICE_PYTHON", str(service_python))
    orders = names_of(render(copie, service_name="orders", messaging="kafka"), "orders")
    billing = names_of(render(copie, service_name="billing", messaging="kafka"), "billing")
    assert orders == {
        "items_created": "orders.items.created",
        "items_created_dead_letter": "orders.items.created.dead-letter",
        "group": "orders",
    }
    assert not set(orders.values()) & set(billing.values())


def test_every_compose_broker_url_names_the_scheme_the_service_accepts(copie: Any) -> None:
    from urllib.parse import urlsplit

    import yaml

    from scaffold.platform import load_platform

    schemes = {"redis": "redis", "rabbitmq": "amqp", "nats": "nats", "kafka": "kafka"}
    for kind, broker in load_platform().brokers.items():  # data/platform.yml, for both
        assert urlsplit(broker.url(kind)).scheme == schemes[kind], broker
    for kind, scheme in schemes.items():  # the service's own compose.yaml
        compose = yaml.safe_load((render(copie, messaging=kind) / "compose.yaml").read_text())
        url = compose["services"]["orders"]["environment"]["ORDERS_BROKER_URL"]
        assert urlsplit(url).scheme == scheme, url
