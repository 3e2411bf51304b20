"""Rule: generated services have secure defaults."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from helpers import render


def test_secrets_stay_out_of_the_repository(copie: Any) -> None:
    project = render(copie)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".env").write_text("ORDERS_TOKEN=secret\n")
    ignored = subprocess.run(
        ["git", "check-ignore", ".env", ".env.local", ".env.example"],
        cwd=project,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ignored == [".env", ".env.local"]
    assert (project / ".env.example").is_file()


def test_outbound_calls_always_carry_a_timeout(copie: Any) -> None:
    project = render(copie)
    for path in (project / "src").rglob("*.py"):
        text = path.read_text()
        if "httpx.AsyncClient(" in text or "httpx.Client(" in text:
            assert "timeout=" in text, path


def test_ci_audits_dependencies(copie: Any) -> None:
    workflow = yaml.safe_load((render(copie) / ".github/workflows/ci.yml").read_text())
    commands = " ".join(step.get("run", "") for step in workflow["jobs"]["test"]["steps"])
    assert "pip-audit" in commands


def test_container_runs_unprivileged(copie: Any) -> None:
    dockerfile = (render(copie) / "Dockerfile").read_text()
    runtime = dockerfile.split("\nFROM ")[-1]
    assert "USER 10001" in runtime
