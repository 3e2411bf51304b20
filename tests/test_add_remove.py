"""`mio add` and `mio remove`: patterns in and out of a service, in place, no edit lost.

Every pattern of the real catalog is added and removed on a real service, and two of
them (async-messaging, a single choice; retry, a multiselect) are followed in detail.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import git
from scaffold.catalog import Pattern, load_catalog
from scaffold.change import add_pattern, remove_pattern
from scaffold.cli.app import app
from scaffold.errors import InvalidInput
from scaffold.generate import create_service
from scaffold.project import open_service

runner = CliRunner()

QUEUE = "async-messaging"
QUEUE_FILE = "src/orders/messaging/handlers.py"
QUEUE_DEPENDENCY = "faststream[redis,"
RETRY = "retry"
RETRY_FILE = "src/orders/resilience/retry.py"


def commit(project: Path, message: str) -> str:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(project, "rev-parse", "HEAD").strip()


def difference_from(project: Path, commit_id: str, *paths: str) -> str:
    """Every difference between the work tree (untracked files included) and a commit."""
    git(project, "add", "--all")
    return git(project, "diff", "--cached", "--stat", commit_id, "--", ".", *paths)


def locked_packages(project: Path, commit_id: str | None = None) -> set[tuple[str, str]]:
    """(name, version) of every package in uv.lock, now or at a commit."""
    text = (
        git(project, "show", f"{commit_id}:uv.lock")
        if commit_id
        else (project / "uv.lock").read_text()
    )
    return {(p["name"], p["version"]) for p in tomllib.loads(text)["package"]}


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A new service with no pattern, from the shipped template history."""
    return create_service({"service_name": "orders"}, tmp_path / "orders").path


def test_the_catalog_has_patterns_to_add() -> None:
    assert {QUEUE, RETRY} <= set(load_catalog())


@pytest.mark.parametrize("pattern_id", sorted(load_catalog()))
def test_add_then_remove_leaves_no_difference(pattern_id: str, tmp_path: Path) -> None:
    catalog = load_catalog()
    pattern = catalog[pattern_id]
    project = create_service({"service_name": "orders"}, tmp_path / "orders").path
    start = git(project, "rev-parse", "HEAD").strip()

    added = add_pattern(project, pattern_id, value=pattern.values[0], catalog=catalog)

    assert added.exit_code == 0 and added.conflicts == []
    assert added.added or added.updated, "adding a pattern changed no file"
    assert pattern in _selected(project, catalog)
    commit(project, f"add {pattern_id}")

    removed = remove_pattern(project, pattern_id, catalog=catalog)

    assert removed.exit_code == 0 and removed.kept == []
    assert pattern not in _selected(project, catalog)
    # uv may keep the forks of the richer resolution in uv.lock's markers: the lock's
    # packages must be the same, its bytes may differ.
    assert difference_from(project, start, ":!uv.lock") == ""
    assert locked_packages(project) == locked_packages(project, start)


def _selected(project: Path, catalog: Mapping[str, Pattern]) -> list[Pattern]:
    from scaffold.catalog import selected_patterns

    return selected_patterns(open_service(project).answers, catalog)


def test_add_brings_files_and_dependencies_and_remove_takes_them_away(service: Path) -> None:
    # The value as the answer to the pattern's question, as `--messaging redis` gives it.
    report = add_pattern(service, QUEUE, data={"messaging": "redis"})
    assert QUEUE_FILE in report.added
    assert "pyproject.toml" in report.updated
    assert report.answers == {"messaging": ("none", "redis")}
    assert QUEUE_DEPENDENCY in (service / "pyproject.toml").read_text()
    commit(service, "add async-messaging")

    report = add_pattern(service, RETRY)  # a multiselect
    assert RETRY_FILE in report.added
    assert report.answers == {"resilience": ([], ["retry"])}
    commit(service, "add retry")

    report = remove_pattern(service, QUEUE)
    assert QUEUE_FILE in report.removed
    # The pattern's files, as its catalog entry lists them: its package, its tests and its
    # published contract.
    listed = load_catalog()[QUEUE].additions("redis").file_paths("orders")
    assert set(report.removed) <= listed, sorted(set(report.removed) - listed)
    assert QUEUE_DEPENDENCY not in (service / "pyproject.toml").read_text()
    assert (service / RETRY_FILE).is_file()  # the other pattern stays


def test_an_edited_file_of_a_removed_pattern_is_kept_and_reported(service: Path) -> None:
    add_pattern(service, QUEUE, value="redis")
    commit(service, "add async-messaging")
    handlers = service / QUEUE_FILE
    handlers.write_text(handlers.read_text() + "\n# Owner's note: orders also go to billing.\n")
    commit(service, "owner edits the handlers")

    report = remove_pattern(service, QUEUE)

    assert report.kept == [QUEUE_FILE]
    assert "Owner's note" in handlers.read_text()
    assert QUEUE_DEPENDENCY not in (service / "pyproject.toml").read_text()


def test_an_edit_in_a_patterns_file_survives_a_re_add(service: Path) -> None:
    """Adding a pattern that is already there changes nothing, the owner's edit included."""
    add_pattern(service, RETRY)
    commit(service, "add retry")
    retry = service / RETRY_FILE
    retry.write_text(retry.read_text() + "\n# Tuned by the owner.\n")
    commit(service, "owner tunes retries")

    report = add_pattern(service, RETRY)

    assert not report.changed
    assert "Tuned by the owner." in retry.read_text()


def test_pattern_rules_are_checked_before_anything_is_written(service: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown pattern 'nope'"):
        add_pattern(service, "nope")
    with pytest.raises(InvalidInput, match="messaging must be one of"):
        add_pattern(service, QUEUE, value="bogus")
    with pytest.raises(InvalidInput, match="two values given"):
        add_pattern(service, QUEUE, value="redis", data={"messaging": "nats"})
    with pytest.raises(InvalidInput, match="resilience belongs to other patterns"):
        add_pattern(service, QUEUE, value="redis", data={"resilience": ["retry"]})
    with pytest.raises(InvalidInput, match="is not in this service"):
        remove_pattern(service, RETRY)
    assert git(service, "status", "--porcelain") == ""


def test_cli_add_and_remove(service: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(service)
    start = git(service, "rev-parse", "HEAD").strip()
    for command in (["add", "nope"], ["remove", "nope"], ["remove", "retry"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert git(service, "status", "--porcelain") == ""

    added = runner.invoke(app, ["add", "async-messaging", "--messaging", "nats"])
    assert added.exit_code == 0, added.output
    assert "faststream[nats," in (service / "pyproject.toml").read_text()
    commit(service, "add async-messaging")
    removed = runner.invoke(app, ["remove", "async-messaging"])
    assert removed.exit_code == 0, removed.output
    assert difference_from(service, start) == ""
