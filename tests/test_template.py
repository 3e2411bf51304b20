"""The template renders a real service that passes its own checks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import ROOT, assert_ok, render, run_in, run_service_tests


def test_default_service_passes_its_own_tests_ruff_and_mypy(
    copie: Any, service_python: Path
) -> None:
    project = render(copie)
    assert_ok(run_service_tests(service_python, project))
    assert_ok(run_in(service_python, project, "ruff", "check", "."))
    assert_ok(run_in(service_python, project, "ruff", "format", "--check", "."))
    assert_ok(run_in(service_python, project, "mypy"))


def test_layout_and_answers(copie: Any) -> None:
    project = render(copie, service_name="orders-api")
    package = project / "src" / "orders_api"
    for name in (
        "app.py",
        "settings.py",
        "web/health.py",
        "web/logs.py",
        "web/request_id.py",
        "web/metrics.py",
        "web/tracing.py",
        "web/errors.py",
        "items/router.py",
        "items/schemas.py",
        "items/store.py",
        "items/dependencies.py",
        "resilience/client.py",
        "resilience/policies.py",
    ):
        assert (package / name).is_file(), name
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "orders-api"
    assert "package_name" not in answers  # computed, never stored
    assert 'ENV_PREFIX = "ORDERS_API_"' in (package / "settings.py").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "orders-api"
    assert "dev" in pyproject["project"]["optional-dependencies"]


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("class", "class_service"),
        ("json", "json_service"),
        ("test", "test_service"),
        ("asyncio", "asyncio_service"),
        ("import", "import_service"),
        ("my-json", "my_json"),
    ],
)
def test_names_that_are_bad_packages_get_a_working_package(
    copie: Any, name: str, package: str
) -> None:
    project = render(copie, service_name=name)
    assert (project / "src" / package / "app.py").is_file()
    assert package.isidentifier()


def test_dockerfile_is_multi_stage_and_runs_as_non_root(copie: Any) -> None:
    lines = (render(copie) / "Dockerfile").read_text().splitlines()
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) >= 2
    users = [line.split()[1] for line in lines[stages[-1] :] if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}


def test_ci_workflow_lints_type_checks_and_tests(copie: Any) -> None:
    workflow = yaml.safe_load((render(copie) / ".github" / "workflows" / "ci.yml").read_text())
    commands = " ".join(step.get("run", "") for step in workflow["jobs"]["test"]["steps"])
    for tool in ("ruff check", "ruff format --check", "mypy", "pytest"):
        assert tool in commands


def test_plain_copier_copy_works_without_mio_and_without_trust(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--data",
            "service_name=payments",
            str(ROOT),
            str(tmp_path / "payments"),
        ],
        capture_output=True,
        text=True,
    )
    assert_ok(result)
    assert (tmp_path / "payments" / "src" / "payments" / "app.py").is_file()


def test_copier_refuses_a_bad_name_with_the_rule(copie: Any) -> None:
    result = copie.copy(extra_answers={"service_name": "Orders"})
    assert result.exception is not None
    assert "DNS-1123 label" in str(result.exception)


ALL_RESILIENCE = ["retry", "circuit-breaker", "bulkhead", "rate-limit", "fallback"]


def every_pattern() -> dict[str, Any]:
    """Answers choosing every pattern copier.yml offers (the last choice of single ones)."""
    from scaffold.answers import load_questions

    answers: dict[str, Any] = {}
    for name in ("gateway", "messaging", "resilience"):
        question = load_questions()[name]
        choices = [c for c in question.choices or () if c != "none"]
        if choices:
            answers[name] = choices if question.multiselect else choices[-1]
    return answers


def test_longest_name_with_every_pattern_passes_its_checks(
    copie: Any, service_python: Path
) -> None:
    name = "a" + "-long-service-name" * 2 + "-x"
    name = name + "y" * (40 - len(name))
    assert len(name) == 40
    # ... consuming an event of a producer with a name as long (its model, reaction, tests).
    event = "p-long-producer-name-long-producer-namez.items.created"
    fields = {"event_id": "uuid", "occurred_at": "date-time", "item_id": "uuid", "name": "string"}
    project = render(
        copie,
        service_name=name,
        **every_pattern(),
        consumes=[event],
        consumed_events=[{"event": event, "fields": fields}],
    )
    assert (project / "tests" / "test_consumed.py").is_file()
    assert_ok(run_in(service_python, project, "ruff", "check", "."))
    assert_ok(run_in(service_python, project, "ruff", "format", "--check", "."))
    assert_ok(run_in(service_python, project, "mypy"))
    assert_ok(run_service_tests(service_python, project))


SETTINGS_AS_JSON = """
import json
from {package}.settings import ENV_PREFIX, Settings
fields = Settings.model_fields.items()
print(json.dumps({{
    ENV_PREFIX + name.upper(): f.default if f.default_factory is None else f.default_factory()
    for name, f in fields
}}))
"""


def _readme_settings(readme: str) -> dict[str, str]:
    """`| `VARIABLE` | `default` or empty | meaning |` rows of the README's settings table."""
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| (`[^`]*`|empty) \|", readme, re.MULTILINE)
    return {name: default.strip("`") if default != "empty" else "" for name, default in rows}


def _same(documented: str, actual: object) -> bool:
    if isinstance(actual, bool):
        return documented == str(actual).lower()
    if isinstance(actual, int | float):
        return float(documented) == float(actual)
    if isinstance(actual, list):
        return documented == json.dumps(actual)
    return documented == actual


@pytest.mark.parametrize("messaging", ["none", "memory", "redis"])
def test_the_readme_lists_every_setting_with_its_default(
    copie: Any, service_python: Path, messaging: str
) -> None:
    project = render(copie, messaging=messaging, resilience=ALL_RESILIENCE)
    result = subprocess.run(
        [str(service_python), "-c", SETTINGS_AS_JSON.format(package="orders")],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )
    assert_ok(result)
    actual = json.loads(result.stdout)
    documented = _readme_settings((project / "README.md").read_text())
    assert set(documented) == set(actual)
    wrong = {name: (documented[name], actual[name]) for name in actual}
    assert {n: v for n, v in wrong.items() if not _same(*v)} == {}
