"""`mio patterns suggest --path`: existing services reviewed against the catalog's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scaffold.cli.app import app
from scaffold.resources import TEMPLATE_SOURCE

runner = CliRunner()


def service(root: Path, name: str, **answers: Any) -> Path:
    """A service as a review sees it: its answers file."""
    path = root / name
    path.mkdir(parents=True)
    data = {
        "_commit": "v0.1.0",
        "_src_path": TEMPLATE_SOURCE,
        "service_name": name,
        "gateway": "none",
        "messaging": "none",
        "resilience": [],
        **answers,
    }
    (path / ".copier-answers.yml").write_text(yaml.safe_dump(data))
    return path


def review(*args: str, input: str | None = None) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["patterns", "suggest", "--json", *args], input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("[") :])


def findings(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {f["pattern"]: (f["problem"], f["command"]) for f in data["findings"]}


def test_outbound_calls_with_no_breaker_and_retries_on_non_idempotent_calls(
    tmp_path: Path,
) -> None:
    path = service(tmp_path, "orders", resilience=["retry"])
    (data,) = review("--path", str(path))
    found = findings(data)
    assert found["circuit-breaker"] == (
        "outbound calls with no circuit breaker",
        f"mio add circuit-breaker --path {path}",
    )
    assert found["retry"] == (
        "retries where the upstream calls are not safe to repeat",
        f"mio remove retry --path {path}",
    )
    # What the answers file shows is inferred; the rest is assumed and said so.
    assert data["situation"]["calls-upstreams"] == {
        "value": True,
        "source": "inferred",
        "note": "retry in the service",
    }
    assert data["situation"]["idempotent-calls"] == {"value": False, "source": "default"}


def test_answering_idempotent_calls_keeps_the_retry(tmp_path: Path) -> None:
    path = service(tmp_path, "orders", resilience=["retry", "circuit-breaker"])
    (data,) = review("--path", str(path), "--idempotent-calls")
    assert data["findings"] == []


def test_a_consumer_whose_dead_letters_are_lost_on_restart(tmp_path: Path) -> None:
    path = service(tmp_path, "orders", messaging="memory")
    (data,) = review("--path", str(path))
    (finding,) = data["findings"]
    assert finding["kind"] == "change"
    assert finding["problem"].startswith("a consumer whose events and dead letters live in")
    assert finding["command"] == f"mio add async-messaging --messaging rabbitmq --path {path}"
    # A durable broker serves the same situation: no switch between brokers is asked for.
    redis = service(tmp_path, "billing", messaging="redis")
    assert review("--path", str(redis))[0]["findings"] == []
    # Losing events is acceptable to this team, but memory:// is for tests and local runs
    # only: the lightest broker is asked for.
    (lenient,) = review("--path", str(path), "--no-durable-events")
    assert [f["command"] for f in lenient["findings"]] == [
        f"mio add async-messaging --messaging nats --path {path}"
    ]


def test_a_public_route_with_no_rate_limit(tmp_path: Path) -> None:
    path = service(tmp_path, "orders", gateway="nginx")
    (data,) = review("--path", str(path))
    assert findings(data) == {
        "rate-limit": (
            "a public route with no rate limit in the service",
            f"mio add rate-limit --path {path}",
        )
    }


def test_a_broker_no_one_needs_and_a_gateway_for_internal_callers(tmp_path: Path) -> None:
    path = service(tmp_path, "orders", messaging="redis", gateway="nginx")
    (data,) = review("--path", str(path), "--no-deferred-work", "--no-external-clients")
    found = findings(data)
    assert found["async-messaging"][1] == f"mio remove async-messaging --path {path}"
    assert found["api-gateway"][1] == f"mio remove api-gateway --path {path}"


def test_a_directory_reviews_every_service_in_it(tmp_path: Path) -> None:
    service(tmp_path / "services", "billing", resilience=["retry"])
    service(tmp_path / "services", "orders")
    (tmp_path / "services" / "notes").mkdir()
    data = review("--path", str(tmp_path / "services"))
    assert [d["service"] for d in data] == ["billing", "orders"]
    assert data[1]["findings"] == []

    result = runner.invoke(app, ["patterns", "suggest", "--path", str(tmp_path / "services")])
    assert result.exit_code == 0
    assert "2 services reviewed, 2 findings." in result.output
    assert f"fix: mio add circuit-breaker --path {tmp_path / 'services' / 'billing'}" in (
        result.output
    )


def test_strict_exits_1_on_findings_only(tmp_path: Path) -> None:
    fine = service(tmp_path, "fine")
    poor = service(tmp_path, "poor", resilience=["retry"])
    assert runner.invoke(app, ["patterns", "suggest", "-p", str(fine), "--strict"]).exit_code == 0
    assert runner.invoke(app, ["patterns", "suggest", "-p", str(poor), "--strict"]).exit_code == 1
    assert runner.invoke(app, ["patterns", "suggest", "-p", str(poor)]).exit_code == 0


def test_no_service_is_invalid_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["patterns", "suggest", "--path", str(tmp_path)])
    assert result.exit_code == 2
    assert "no .copier-answers.yml in it or below it" in result.output


def test_at_a_terminal_only_what_the_answers_file_cannot_tell_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scaffold.cli.patterns.is_interactive", lambda: True)
    path = service(tmp_path, "orders", resilience=["retry"])
    # Asked, in order: idempotent-calls (y), slow-upstreams, stale-reads-ok, bursty-inbound,
    # deferred-work, fan-out, external-clients (Enter: the default, no).
    result = runner.invoke(
        app, ["patterns", "suggest", "--path", str(path)], input="y\n\n\n\n\n\n\n"
    )
    assert result.exit_code == 0, result.output
    assert "Does the service call other services" not in result.output  # inferred
    assert "Are those calls safe to repeat" in result.output
    assert "retries where" not in result.output
    assert "outbound calls with no circuit breaker" in result.output


def test_a_generated_service_reviewed_then_fixed_by_the_command_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    monkeypatch.chdir(tmp_path)
    created = runner.invoke(
        app, ["new", "service", "orders", "--resilience", "retry", "--defaults", "--no-lock"]
    )
    assert created.exit_code == 0, created.output
    (data,) = review("--path", "orders", "--idempotent-calls")
    (finding,) = data["findings"]
    assert finding["command"] == "mio add circuit-breaker --path orders"
    fixed = runner.invoke(app, shlex.split(finding["command"])[1:])
    assert fixed.exit_code == 0, fixed.output
    assert review("--path", "orders", "--idempotent-calls")[0]["findings"] == []
