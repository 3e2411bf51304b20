"""`mio add` and `mio remove`: patterns in and out of a service, in place, no edit lost.

A demo template and catalog (trial_history.demo_pattern_history) give two small
patterns whatever the real catalog holds; every pattern of the real catalog is
added and removed on a real service too.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from trial_history import (
    DEMO_DEPENDENCY,
    DEMO_QUEUE_FILE,
    DEMO_RETRY_FILE,
    demo_pattern_history,
)
from typer.testing import CliRunner

from scaffold.answers import load_questions
from scaffold.catalog import Pattern, load_catalog, read_catalog
from scaffold.change import add_pattern, remove_pattern
from scaffold.cli.app import app
from scaffold.errors import InvalidInput
from scaffold.generate import create_service
from scaffold.history import HISTORY_ENV
from scaffold.project import open_service

runner = CliRunner()


def git(project: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit(project: Path, message: str) -> str:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(project, "rev-parse", "HEAD").strip()


def difference_from(project: Path, commit_id: str) -> str:
    """Every difference between the work tree (untracked files included) and a commit."""
    git(project, "add", "--all")
    return git(project, "diff", "--cached", "--stat", commit_id)


@dataclass(frozen=True)
class Demo:
    bundle: Path
    catalog: dict[str, Pattern]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    bundle, catalog_dir = demo_pattern_history(tmp_path_factory.mktemp("demo"))
    return Demo(bundle, read_catalog(catalog_dir))


@pytest.fixture
def demo_service(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A service made from the demo template, through the history seam."""
    monkeypatch.setenv(HISTORY_ENV, str(demo.bundle))
    return create_service({"service_name": "orders"}, tmp_path / "orders").path


def _answers_with_requirements(pattern: Pattern, catalog: Mapping[str, Pattern]) -> dict[str, Any]:
    """Answers of a new service that already has every pattern ``pattern`` requires."""
    questions = load_questions()
    answers: dict[str, Any] = {"service_name": "orders"}
    for needed in (catalog[name] for name in pattern.requires):
        if questions[needed.question].multiselect:
            answers.setdefault(needed.question, []).append(needed.values[0])
        else:
            answers[needed.question] = needed.values[0]
    return answers


CASES = [pytest.param("demo", name, id=f"demo:{name}") for name in ("demo-queue", "demo-retry")]
CASES += [pytest.param("real", name, id=f"real:{name}") for name in sorted(load_catalog())]


@pytest.mark.parametrize(("catalog_kind", "pattern_id"), CASES)
def test_add_then_remove_leaves_no_difference(
    catalog_kind: str,
    pattern_id: str,
    demo: Demo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if catalog_kind == "demo":
        monkeypatch.setenv(HISTORY_ENV, str(demo.bundle))
        catalog = demo.catalog
    else:
        catalog = load_catalog()
    pattern = catalog[pattern_id]
    answers = _answers_with_requirements(pattern, catalog)
    project = create_service(answers, tmp_path / "orders").path
    start = git(project, "rev-parse", "HEAD").strip()

    added = add_pattern(project, pattern_id, value=pattern.values[0], catalog=catalog)

    assert added.exit_code == 0 and added.conflicts == []
    assert added.added or added.updated, "adding a pattern changed no file"
    assert pattern in _selected(project, catalog)
    commit(project, f"add {pattern_id}")

    removed = remove_pattern(project, pattern_id, catalog=catalog)

    assert removed.exit_code == 0 and removed.kept == []
    assert pattern not in _selected(project, catalog)
    assert difference_from(project, start) == ""


def _selected(project: Path, catalog: Mapping[str, Pattern]) -> list[Pattern]:
    from scaffold.catalog import selected_patterns

    return selected_patterns(open_service(project).answers, catalog)


def test_add_brings_files_and_dependencies_and_remove_takes_them_away(
    demo: Demo, demo_service: Path
) -> None:
    # The value as the answer to the pattern's question, as `--messaging demo-queue` gives it.
    report = add_pattern(
        demo_service, "demo-queue", data={"messaging": "demo-queue"}, catalog=demo.catalog
    )
    assert DEMO_QUEUE_FILE in report.added
    assert "pyproject.toml" in report.updated
    assert report.answers == {"messaging": ("none", "demo-queue")}
    assert DEMO_DEPENDENCY in (demo_service / "pyproject.toml").read_text()
    commit(demo_service, "add demo-queue")

    report = add_pattern(demo_service, "demo-retry", catalog=demo.catalog)  # a multiselect
    # Files the template gives any non-empty resilience choice come along too.
    assert DEMO_RETRY_FILE in report.added
    assert all(name == DEMO_RETRY_FILE or name.startswith("tests/") for name in report.added)
    assert report.answers == {"resilience": ([], ["demo-retry"])}
    commit(demo_service, "add demo-retry")

    report = remove_pattern(demo_service, "demo-queue", catalog=demo.catalog)
    assert report.removed == [DEMO_QUEUE_FILE]
    assert DEMO_DEPENDENCY not in (demo_service / "pyproject.toml").read_text()
    assert (demo_service / DEMO_RETRY_FILE).is_file()  # the other pattern stays


def test_an_edited_file_of_a_removed_pattern_is_kept_and_reported(
    demo: Demo, demo_service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_pattern(demo_service, "demo-queue", catalog=demo.catalog)
    commit(demo_service, "add demo-queue")
    queue = demo_service / DEMO_QUEUE_FILE
    queue.write_text(queue.read_text() + "\nDEAD_LETTERS = 'orders-dead'\n")
    commit(demo_service, "owner edits the queue")

    report = remove_pattern(demo_service, "demo-queue", catalog=demo.catalog)

    assert report.kept == [DEMO_QUEUE_FILE]
    assert "DEAD_LETTERS" in queue.read_text()
    assert DEMO_DEPENDENCY not in (demo_service / "pyproject.toml").read_text()


def test_an_edit_in_a_patterns_file_survives_a_re_add(demo: Demo, demo_service: Path) -> None:
    """Adding a pattern that is already there changes nothing, the owner's edit included."""
    add_pattern(demo_service, "demo-retry", catalog=demo.catalog)
    commit(demo_service, "add demo-retry")
    retry = demo_service / DEMO_RETRY_FILE
    retry.write_text(retry.read_text().replace("ATTEMPTS = 3", "ATTEMPTS = 5"))
    commit(demo_service, "owner tunes retries")

    report = add_pattern(demo_service, "demo-retry", catalog=demo.catalog)

    assert not report.changed
    assert "ATTEMPTS = 5" in retry.read_text()


def test_pattern_rules_are_checked_before_anything_is_written(
    demo: Demo, demo_service: Path
) -> None:
    with pytest.raises(InvalidInput, match="unknown pattern 'nope'"):
        add_pattern(demo_service, "nope", catalog=demo.catalog)
    with pytest.raises(InvalidInput, match="messaging must be one of demo-queue"):
        add_pattern(demo_service, "demo-queue", value="kafka", catalog=demo.catalog)
    with pytest.raises(InvalidInput, match="two values given"):
        add_pattern(
            demo_service,
            "demo-queue",
            value="demo-queue",
            data={"messaging": "kafka"},
            catalog=demo.catalog,
        )
    with pytest.raises(InvalidInput, match="resilience belongs to other patterns"):
        add_pattern(
            demo_service, "demo-queue", data={"resilience": ["demo-retry"]}, catalog=demo.catalog
        )
    with pytest.raises(InvalidInput, match="is not in this service"):
        remove_pattern(demo_service, "demo-retry", catalog=demo.catalog)
    assert git(demo_service, "status", "--porcelain") == ""


def test_cli_add_and_remove(
    demo: Demo, demo_service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo_service)
    unknown = runner.invoke(app, ["add", "nope"])
    assert unknown.exit_code == 2 and "unknown pattern 'nope'" in unknown.output
    for command in (["add", "nope"], ["remove", "nope"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1
    assert git(demo_service, "status", "--porcelain") == ""
