"""`mio fleet check DIR`: the services under a directory fit together, or it fails naming
both sides (consumed events and their producers' contracts, fields and types, brokers,
route prefixes) and warns of calls to upstreams nobody provides; made for CI (--json,
exit codes 0, 1, 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scaffold.cli.app import app
from scaffold.contracts import consumed_events
from scaffold.generate import create_service

runner = CliRunner()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, checkout_history: Path) -> Path:
    """orders publishes; billing and shipping consume orders.items.created; all on Redis."""
    root = tmp_path_factory.mktemp("fleet") / "services"
    create_service(
        {"service_name": "orders", "messaging": "redis"}, root / "orders", lock=False,
        git_init=False,
    )  # fmt: skip
    fields = consumed_events(["orders.items.created"], [root])
    for name in ("billing", "shipping"):
        answers = {
            "service_name": name,
            "messaging": "redis",
            "consumes": ["orders.items.created"],
            "consumed_events": fields,
        }
        create_service(answers, root / name, lock=False, git_init=False)
    return root


@pytest.fixture
def fleet(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "services"
    shutil.copytree(made, copy)
    return copy


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["fleet", "check", *args])
    return result.exit_code, result.output


def report(fleet: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, output = check(str(fleet), "--json", *args)
    loaded: dict[str, Any] = json.loads(output)
    return code, loaded


def edit_contract(fleet: Path, change: Any) -> None:
    path = fleet / "orders" / "asyncapi.json"
    contract = json.loads(path.read_text())
    change(contract["components"]["schemas"]["ItemCreated"]["properties"])
    path.write_text(json.dumps(contract))


def test_a_fleet_that_fits_passes(fleet: Path) -> None:
    code, output = check(str(fleet))
    assert code == 0, output
    assert "fleet: 3 services (billing, orders, shipping), 0 errors, 0 warnings" in output
    code, result = report(fleet)
    assert code == 0
    assert result == {
        "services": ["billing", "orders", "shipping"],
        "ok": True,
        "errors": [],
        "warnings": [],
    }


def test_a_consumed_event_without_producer_fails_naming_both(fleet: Path) -> None:
    shutil.rmtree(fleet / "orders")
    code, result = report(fleet)
    assert code == 1
    assert {tuple(e["services"]) for e in result["errors"]} == {
        ("billing", "orders"),
        ("shipping", "orders"),
    }
    assert {e["rule"] for e in result["errors"]} == {"no-producer"}
    assert (
        "billing consumes orders.items.created, but no service 'orders'"
        in (result["errors"][0]["message"])
    )


def test_an_event_the_producer_no_longer_publishes(fleet: Path) -> None:
    path = fleet / "orders" / "asyncapi.json"
    contract = json.loads(path.read_text())
    contract["channels"]["items.created"]["address"] = "orders.items.added"
    path.write_text(json.dumps(contract))
    code, output = check(str(fleet))
    assert code == 1
    assert (
        "error: billing consumes orders.items.created, but the asyncapi.json of orders"
        " publishes orders.items.added"
    ) in output


def test_a_field_the_producer_does_not_send(fleet: Path) -> None:
    edit_contract(fleet, lambda properties: properties.pop("name"))
    code, result = report(fleet)
    assert code == 1
    messages = [e["message"] for e in result["errors"] if e["rule"] == "missing-field"]
    assert any(m.startswith("billing's model of orders.items.created needs name (string)")
               for m in messages)  # fmt: skip
    assert len(messages) == 2  # billing and shipping


def test_a_field_of_another_type(fleet: Path) -> None:
    edit_contract(fleet, lambda properties: properties.update(item_id={"type": "integer"}))
    code, output = check(str(fleet))
    assert code == 1
    assert (
        "error: shipping's model of orders.items.created reads item_id as uuid, but orders"
        " sends integer"
    ) in output


def test_a_consumer_on_another_broker(fleet: Path) -> None:
    answers_file = fleet / "shipping" / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text())
    answers["messaging"] = "nats"
    answers_file.write_text(yaml.safe_dump(answers))
    code, output = check(str(fleet))
    assert code == 1
    assert "shipping (nats) consumes orders.items.created, but orders publishes it on redis" in (
        output
    )


def test_two_services_claiming_one_prefix(fleet: Path) -> None:
    route = fleet / "shipping" / "deploy" / "route.yaml"
    route.write_text(route.read_text().replace("prefix: /api/shipping", "prefix: /api/orders"))
    code, result = report(fleet)
    assert code == 1
    [clash] = result["errors"]
    assert clash["rule"] == "prefix-clash"
    assert clash["services"] == ["orders", "shipping"]
    assert clash["message"] == "orders and shipping both claim the route prefix /api/orders"


def test_calls_to_an_upstream_nobody_provides_are_warnings(fleet: Path) -> None:
    route = fleet / "billing" / "deploy" / "route.yaml"
    route.write_text(route.read_text().replace("calls: []", "calls: [shipping, payments]"))
    code_file = fleet / "billing" / "src" / "billing" / "payments.py"
    code_file.write_text('PAID = "/api/payments/paid"\nITEMS = "/api/shipping/items"\n')
    code, output = check(str(fleet))
    assert code == 0, output
    assert "warning: billing calls payments (deploy/route.yaml calls)" in output
    assert "warning: billing calls /api/payments (src/billing/payments.py:1)" in output
    assert "/api/shipping" not in output  # provided by shipping
    assert check(str(fleet), "--strict")[0] == 1


def test_no_service_is_invalid_input(tmp_path: Path) -> None:
    code, output = check(str(tmp_path))
    assert code == 2
    assert "no mio service under" in output
    assert check(str(tmp_path / "missing"))[0] == 2
