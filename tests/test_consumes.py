"""Consuming another service's events: `mio new service --consumes` and `mio add --consumes`
take each event's fields from its producer's published contract (asyncapi.json), record
them in the answers, and the template renders the model, an idempotent subscriber in the
consumer's own group, a reaction stub and tests; the consumer passes its own checks, on
the real brokers too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from helpers import assert_ok, render, run_in, run_service_tests
from scaffold.cli.app import app
from scaffold.contracts import read_contract

runner = CliRunner()
BROKER_URLS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
    "nats": "nats://127.0.0.1:4222",
}
ITEM_FIELDS = {"event_id": "uuid", "occurred_at": "date-time", "item_id": "uuid", "name": "string"}
CONSUMED = [{"event": "shop.items.created", "fields": ITEM_FIELDS}]


@pytest.fixture(autouse=True)
def _this_template(checkout_history: Path) -> None:
    """Services made from this checkout's template (see conftest.checkout_history)."""


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the producer `orders` (Redis)."""
    monkeypatch.chdir(tmp_path)
    new("orders", "--messaging", "redis")
    return tmp_path


def new(name: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["new", "service", name, *args, "--defaults", "--no-lock"])
    assert result.exit_code == code, result.output
    return result


def answers(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


def test_a_messaging_service_keeps_its_published_contract(fleet: Path) -> None:
    contract = read_contract(fleet / "orders" / "asyncapi.json")
    assert contract.service == "orders"
    assert contract.events == {"orders.items.created": ITEM_FIELDS}


def test_new_consumer_takes_the_fields_from_the_sibling_producers_contract(fleet: Path) -> None:
    new("billing", "--messaging", "redis", "--consumes", "orders.items.created")
    billing = fleet / "billing"
    recorded = answers(billing)
    assert recorded["consumes"] == ["orders.items.created"]
    assert recorded["consumed_events"] == [{"event": "orders.items.created", "fields": ITEM_FIELDS}]
    model = (billing / "src" / "billing" / "messaging" / "consumed.py").read_text()
    assert "class OrdersItemsCreated(ConsumedEvent):" in model
    assert "    item_id: UUID\n" in model
    reactions = (billing / "src" / "billing" / "messaging" / "reactions.py").read_text()
    assert "async def on_orders_items_created(" in reactions
    assert (billing / "tests" / "test_consumed.py").is_file()


def test_a_contract_given_by_path(fleet: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    contract = fleet / "orders" / "asyncapi.json"
    new(
        "billing", "--messaging", "nats", "--consumes", "orders.items.created",
        "--contract", str(contract), "--output", str(elsewhere / "billing"),
    )  # fmt: skip
    assert answers(elsewhere / "billing")["consumed_events"][0]["fields"] == ITEM_FIELDS


def test_no_contract_found_names_the_producer_and_the_fix(fleet: Path) -> None:
    result = new("billing", "--messaging", "redis", "--consumes", "payments.paid", code=2)
    assert "no published contract of service 'payments'" in result.output
    assert "--contract" in result.output
    assert not (fleet / "billing").exists()


def test_an_event_the_producer_does_not_publish_lists_those_it_does(fleet: Path) -> None:
    result = new("billing", "--messaging", "redis", "--consumes", "orders.items.deleted", code=2)
    assert "publishes no such event" in result.output
    assert "orders.items.created" in result.output


def test_consumes_needs_the_fields_mio_reads(copie: Any) -> None:
    """Plain Copier: `consumes` without `consumed_events` is refused, naming mio's way."""
    result = copie.copy(
        extra_answers={
            "service_name": "billing",
            "messaging": "redis",
            "consumes": ["orders.items.created"],
        }
    )
    assert result.exception is not None
    assert "mio add --consumes" in str(result.exception)


def test_its_own_event_is_refused(copie: Any) -> None:
    result = copie.copy(
        extra_answers={
            "service_name": "orders",
            "messaging": "redis",
            "consumes": ["orders.items.created"],
            "consumed_events": [{"event": "orders.items.created", "fields": ITEM_FIELDS}],
        }
    )
    assert result.exception is not None
    assert "this service's own event" in str(result.exception)


def test_mio_add_consumes_makes_an_existing_service_a_consumer(fleet: Path) -> None:
    new("shipping", "--messaging", "redis")
    shipping = fleet / "shipping"
    assert not (shipping / "src" / "shipping" / "messaging" / "consumed.py").exists()
    result = runner.invoke(
        app, ["add", "--consumes", "orders.items.created", "--path", str(shipping)]
    )
    assert result.exit_code == 0, result.output
    assert answers(shipping)["consumes"] == ["orders.items.created"]
    assert (shipping / "src" / "shipping" / "messaging" / "consumed.py").is_file()
    assert (shipping / "tests" / "test_consumed.py").is_file()


def test_mio_add_takes_a_pattern_or_consumes(fleet: Path) -> None:
    result = runner.invoke(app, ["add", "--path", str(fleet / "orders")])
    assert result.exit_code == 2
    assert "give a PATTERN, or --consumes EVENT" in result.output


@pytest.mark.parametrize("broker", [*sorted(BROKER_URLS), "kafka", "memory"])
def test_a_consumer_passes_its_checks_and_tests_on_the_real_broker(
    copie: Any, service_python: Path, broker: str
) -> None:
    project = render(
        copie,
        service_name="billing",
        messaging=broker,
        consumes=["shop.items.created"],
        consumed_events=CONSUMED,
    )
    assert_ok(run_in(service_python, project, "ruff", "check", "."))
    assert_ok(run_in(service_python, project, "ruff", "format", "--check", "."))
    assert_ok(run_in(service_python, project, "mypy"))
    result = run_service_tests(
        service_python,
        project,
        "tests/test_consumed.py",
        "tests/test_messaging.py",
        # Kafka: in memory (no Kafka broker can be had here); memory: no broker at all.
        env={"BILLING_BROKER_URL": BROKER_URLS.get(broker, "memory://")},
    )
    assert_ok(result)
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_the_contract_test_catches_a_stale_asyncapi_json(copie: Any, service_python: Path) -> None:
    project = render(copie, messaging="redis")
    contract = project / "asyncapi.json"
    stale = json.loads(contract.read_text())
    del stale["components"]["schemas"]["ItemCreated"]["properties"]["name"]
    contract.write_text(json.dumps(stale))
    result = run_service_tests(
        service_python, project, "tests/test_messaging.py", "-k", "contract",
        env={"ORDERS_BROKER_URL": "memory://"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "asyncapi.json is out of date" in result.stdout
    subprocess.run(
        [str(service_python), "-m", "orders.messaging.asyncapi"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src")},
        check=True,
    )
    fixed = run_service_tests(service_python, project, "tests/test_messaging.py", "-k", "contract")
    assert_ok(fixed)


def test_consuming_needs_a_broker(fleet: Path) -> None:
    result = new("billing", "--consumes", "orders.items.created", code=2)
    assert "consumes needs a message broker" in result.output


def test_mio_new_asks_which_events_at_a_terminal(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal, mio asks (Copier asks the rest); the answer's fields are read at once."""
    import scaffold.cli.new as new_module
    import scaffold.generate

    given: dict[str, Any] = {}

    def recorded(answers: dict[str, Any], destination: Path, **options: Any) -> Any:
        given.update(answers)
        raise SystemExit(0)

    monkeypatch.setattr(new_module, "is_interactive", lambda: True)
    monkeypatch.setattr(scaffold.generate, "create_service", recorded)
    result = runner.invoke(
        app, ["new", "service", "billing", "--messaging", "redis"], input="orders.items.created\n"
    )
    assert result.exit_code == 0, result.output
    assert "Other services' events to consume" in result.output
    assert given["consumes"] == ["orders.items.created"]
    assert given["consumed_events"] == [{"event": "orders.items.created", "fields": ITEM_FIELDS}]


def test_no_events_at_the_prompt_answers_the_question(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enter at mio's prompt answers `consumes` (empty), so Copier does not ask it again."""
    import scaffold.cli.new as new_module
    import scaffold.generate

    given: dict[str, Any] = {}

    def recorded(answers: dict[str, Any], destination: Path, **options: Any) -> Any:
        given.update(answers)
        raise SystemExit(0)

    monkeypatch.setattr(new_module, "is_interactive", lambda: True)
    monkeypatch.setattr(scaffold.generate, "create_service", recorded)
    result = runner.invoke(app, ["new", "service", "billing", "--messaging", "redis"], input="\n")
    assert result.exit_code == 0, result.output
    assert given["consumes"] == [] and given["consumed_events"] == []
