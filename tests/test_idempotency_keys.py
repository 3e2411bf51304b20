"""`Idempotency-Key` keys live where the inbox keeps its ids, on the machine's real Redis,
NATS and RabbitMQ (with INBOX_REDIS_URL): two replicas of a service, each a process of its
own, answer a retry with the first answer and make one item; another body is refused
(422); a key is forgotten after the retention; two services with the same key never see
each other's. The generated service's own idempotency tests pass against each broker
(a retry while the first runs gets 409 from another replica). When the store is down, a
write with a key is refused with 503 and one without runs. Without messaging, each replica
keeps its own keys. Kafka has no broker here: not covered."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from own_brokers import own_broker
from running import BROKER_URLS, Service, call, env_prefix, eventually, package, running

from helpers import assert_ok, render, run_service_tests

INBOX_REDIS_URL = BROKER_URLS["redis"]
BROKERS = ["redis", "nats", "rabbitmq"]
RETENTION_SECONDS = 5


def settings_env(name: str, broker: str, prefix: str) -> dict[str, str]:
    """The service's broker settings: the real broker, names of this run's own."""
    env = {
        f"{env_prefix(name)}BROKER_URL": BROKER_URLS[broker],
        f"{env_prefix(name)}CHANNEL_PREFIX": prefix,
        f"{env_prefix(name)}LOG_LEVEL": "WARNING",
    }
    if broker == "rabbitmq":
        env[f"{env_prefix(name)}INBOX_REDIS_URL"] = INBOX_REDIS_URL
    return env


def post(service: Service, key: str, name: str) -> tuple[int, dict[str, str], Any]:
    status, headers, body = call(
        "POST",
        f"{service.base}/items",
        json.dumps({"name": name}).encode(),
        {"content-type": "application/json", "Idempotency-Key": key},
    )
    return status, headers, json.loads(body)


def items(service: Service) -> int:
    total: int = json.loads(call("GET", f"{service.base}/items")[2])["total"]
    return total


def remove_names(service: Service, env: dict[str, str]) -> None:
    """What the service made on the broker (channels, inbox, idempotency keys), removed by
    its own code with its settings."""
    name = package(service.name)
    script = (
        "import asyncio\n"
        f"from {name}.messaging.runtime import remove_channels\n"
        f"from {name}.settings import Settings\n"
        "asyncio.run(remove_channels(Settings(_env_file=None)))\n"
    )
    result = subprocess.run(
        [str(service.python), "-c", script],
        cwd=service.project,
        env={**os.environ, "PYTHONPATH": str(service.project / "src"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_ok(result)


@pytest.mark.parametrize("broker", BROKERS)
def test_replicas_share_keys_for_the_retention_and_services_never_see_each_others(
    copie: Any, service_python: Path, broker: str
) -> None:
    prefix = f"mio-{uuid.uuid4().hex[:8]}."
    orders_env = {
        **settings_env("orders", broker, prefix),
        "ORDERS_IDEMPOTENCY_RETENTION_SECONDS": str(RETENTION_SECONDS),
    }
    billing_env = settings_env("billing", broker, prefix)
    orders_project = render(copie, messaging=broker)
    billing_project = render(copie, service_name="billing", messaging=broker)
    first, second = (
        Service("orders", orders_project, service_python, orders_env, replica=replica)
        for replica in ("a", "b")
    )
    billing = Service("billing", billing_project, service_python, billing_env)
    key = str(uuid.uuid4())
    try:
        with running(first, second, billing):
            created = post(first, key, "once")
            retried = post(second, key, "once")
            other_body = post(second, key, "other")
            items_made = items(first), items(second)
            other_service = post(billing, key, "once")

            assert created[0] == 201
            assert retried[0] == 201  # the other replica answers with the first answer
            assert retried[2] == created[2]
            assert retried[1].get("idempotent-replayed") == "true"
            assert other_body[0] == 422
            assert items_made == (1, 0)  # one item, made by the first replica only
            # Another service, the same key, the same broker: its own keys, a new item.
            assert other_service[0] == 201
            assert "idempotent-replayed" not in other_service[1]
            assert other_service[2]["id"] != created[2]["id"]

            # After the retention the key is forgotten: the retry runs again.
            def runs_again() -> bool:
                status, headers, _ = post(second, key, "once")
                return status == 201 and "idempotent-replayed" not in headers

            eventually(runs_again, within=RETENTION_SECONDS + 20)
            assert items(second) == 1
    finally:
        remove_names(first, orders_env)
        remove_names(billing, billing_env)


@pytest.mark.parametrize("broker", BROKERS)
def test_the_generated_idempotency_tests_pass_against_the_real_broker(
    copie: Any, service_python: Path, broker: str
) -> None:
    project = render(copie, messaging=broker)
    env = {"ORDERS_BROKER_URL": BROKER_URLS[broker]}
    if broker == "rabbitmq":
        env["ORDERS_INBOX_REDIS_URL"] = INBOX_REDIS_URL
    result = run_service_tests(service_python, project, "tests/test_idempotency.py", env=env)
    assert_ok(result)
    assert "skipped" not in result.stdout


def test_without_messaging_each_replica_keeps_its_own_keys(
    copie: Any, service_python: Path
) -> None:
    project = render(copie)
    first, second = (
        Service("orders", project, service_python, {}, replica=replica) for replica in ("a", "b")
    )
    key = str(uuid.uuid4())
    with running(first, second):
        created = post(first, key, "once")
        replayed = post(first, key, "once")
        elsewhere = post(second, key, "once")
    assert created[0] == replayed[0] == 201
    assert replayed[1].get("idempotent-replayed") == "true"
    assert replayed[2] == created[2]
    # The other process never saw the key: the retry runs there again.
    assert elsewhere[0] == 201
    assert "idempotent-replayed" not in elsewhere[1]
    assert elsewhere[2]["id"] != created[2]["id"]


def test_a_write_with_a_key_is_refused_while_its_store_is_down(
    copie: Any, service_python: Path, tmp_path: Path
) -> None:
    """RabbitMQ with INBOX_REDIS_URL: a Redis of the test's own, killed and started again."""
    project = render(copie, messaging="rabbitmq")
    prefix = f"mio-{uuid.uuid4().hex[:8]}."
    with own_broker("redis", tmp_path / "redis") as redis:
        env = {**settings_env("orders", "rabbitmq", prefix), "ORDERS_INBOX_REDIS_URL": redis.url}
        service = Service("orders", project, service_python, env)
        try:
            with running(service):
                assert post(service, str(uuid.uuid4()), "before")[0] == 201
                redis.kill()
                status, headers, _ = post(service, str(uuid.uuid4()), "during")
                assert status == 503
                assert headers["retry-after"] == "1"
                without_key = call(
                    "POST",
                    f"{service.base}/items",
                    json.dumps({"name": "no key"}).encode(),
                    {"content-type": "application/json"},
                )
                assert without_key[0] == 201  # a write without a key needs no store
                redis.start()
                key = str(uuid.uuid4())
                eventually(lambda: post(service, key, "after")[0] == 201, within=30)
                assert post(service, key, "after")[1].get("idempotent-replayed") == "true"
                assert items(service) == 3
        finally:
            remove_names(service, env)
