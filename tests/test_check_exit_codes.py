"""`mio check` for CI: each finding has its own exit code and JSON field, at any version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_update_monorepo import commit_all, make_repo
from tiny_history import CHANGED, DROPPED, NEW, OLD
from typer.testing import CliRunner

from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV

runner = CliRunner()


@pytest.fixture
def service(bundle: Path, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    monkeypatch.chdir(tmp_path)
    (project,) = make_repo(tmp_path / "repo", rendered, ["svc"])
    return project


def check(service: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["check", "--json", str(service)])
    (item,) = json.loads(result.stdout)
    assert item["exit_code"] == result.exit_code
    return result.exit_code, item


def update(service: Path) -> None:
    result = runner.invoke(app, ["update", str(service)])
    assert result.exit_code in (0, 3), result.output


def test_up_to_date_is_0(service: Path) -> None:
    update(service)
    commit_all(service.parent.parent)
    code, item = check(service)
    assert (code, item["ok"], item["version"], item["behind"]) == (0, True, NEW, False)
    assert item["kept"] == [] and item["conflicts"] == []


def test_behind_is_4(service: Path) -> None:
    code, item = check(service)
    assert (code, item["behind"], item["version"], item["latest"]) == (4, True, OLD, NEW)


def test_invalid_answers_is_2(service: Path) -> None:
    answers = service / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace('service_name: "svc"', 'service_name: "A B"'))
    code, item = check(service)
    assert (code, item["invalid_answers"]) == (2, True)


def test_conflict_markers_are_3_before_behind(service: Path) -> None:
    (service / CHANGED).write_text("<<<<<<< before updating\na\n=======\nb\n>>>>>>> after\n")
    commit_all(service.parent.parent)
    code, item = check(service)
    assert (code, item["conflicts"], item["behind"]) == (3, [CHANGED], True)


def test_a_kept_file_is_5_until_moved(service: Path) -> None:
    (service / DROPPED).write_text("Notes of our own.\n")  # edited; NEW drops it: kept
    commit_all(service.parent.parent)
    update(service)
    commit_all(service.parent.parent)

    code, item = check(service)
    assert (code, item["kept"], item["behind"]) == (5, [DROPPED], False)
    text = runner.invoke(app, ["check", str(service)])
    assert "kept for you to move, then delete" in text.output and DROPPED in text.output

    (service / DROPPED).unlink()
    commit_all(service.parent.parent)
    assert check(service)[0] == 0


def test_no_answers_file_is_1(
    tmp_path: Path, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    code, item = check(tmp_path)
    assert (code, item["uncheckable"]) == (1, True)
