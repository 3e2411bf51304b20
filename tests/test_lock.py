"""Every service carries `uv.lock`, its Dockerfile and CI install from it, and updates keep it
in step with `pyproject.toml`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from helpers import git
from scaffold.change import add_pattern
from scaffold.cli.app import app
from scaffold.generate import create_service
from scaffold.lock import LOCK_FILE, uv_binary

runner = CliRunner()


def lock_matches_pyproject(project: Path) -> bool:
    """`uv lock --locked`: exit 0 only when the lock is exactly what pyproject.toml asks."""
    result = subprocess.run(
        [uv_binary(), "lock", "--locked", "--quiet"], cwd=project, capture_output=True, text=True
    )
    return result.returncode == 0


def test_a_new_service_commits_a_lock_that_matches_its_dependencies(tmp_path: Path) -> None:
    project = create_service({"service_name": "orders"}, tmp_path / "orders").path
    assert LOCK_FILE in git(project, "ls-files").split()
    assert lock_matches_pyproject(project)
    lock = (project / LOCK_FILE).read_text()
    assert 'name = "fastapi"' in lock
    assert 'name = "orders"' in lock


def test_no_lock_when_asked(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["new", "service", "orders", "--defaults", "--no-lock", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "o" / LOCK_FILE).exists()


def test_adding_a_pattern_locks_its_dependencies(tmp_path: Path) -> None:
    project = create_service({"service_name": "orders"}, tmp_path / "orders").path
    assert 'name = "stamina"' not in (project / LOCK_FILE).read_text()
    report = add_pattern(project, "retry")
    assert LOCK_FILE in report.updated
    assert 'name = "stamina"' in (project / LOCK_FILE).read_text()
    assert lock_matches_pyproject(project)


def test_dockerfile_and_ci_install_from_the_lock(tmp_path: Path) -> None:
    project = create_service({"service_name": "orders"}, tmp_path / "orders").path
    dockerfile = (project / "Dockerfile").read_text()
    ignored = {line.strip() for line in (project / ".dockerignore").read_text().splitlines()}
    copied = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert LOCK_FILE in copied
    for source in copied:  # everything the build copies exists and reaches the build
        assert (project / source).exists(), source
        assert source not in ignored, source
    assert "uv sync --locked" in dockerfile
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    commands = " ".join(step.get("run", "") for step in workflow["jobs"]["test"]["steps"])
    assert "uv sync --locked" in commands
