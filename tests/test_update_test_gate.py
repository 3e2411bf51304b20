"""`mio update --test`: the service's tests run on an updated copy first; when they fail,
nothing is written, the log is kept and named, and the exit code is 6."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from test_update_monorepo import clash, commit_all, files, make_repo, status, version
from tiny_history import ADDED, CHANGED, CHANGED_LINE_NEW, NEW, OLD
from typer.testing import CliRunner

from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV

runner = CliRunner()
#: A test that holds before the update and fails after it (NEW changes the greeting).
STRICT = "from app import GREETING\n\n\ndef test_greeting():\n    assert GREETING == 'hello'\n"
#: A test that holds on both versions.
LOOSE = (
    "from app import GREETING\n\n\ndef test_greeting():\n    assert GREETING.startswith('hello')\n"
)


@pytest.fixture
def repo(bundle: Path, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with `good` (tests pass on NEW) and `bad` (tests fail on NEW)."""
    repo = tmp_path / "mono"
    good, bad = make_repo(repo, rendered, ["good", "bad"])
    (good / "test_greeting.py").write_text(LOOSE)
    (bad / "test_greeting.py").write_text(STRICT)
    (repo / ".gitignore").write_text(".venv/\n")
    commit_all(repo, "tests")
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    monkeypatch.chdir(repo)
    return repo


def test_failing_tests_leave_the_service_untouched_and_name_the_log(repo: Path) -> None:
    good, bad = repo / "services" / "good", repo / "services" / "bad"
    before = files(bad)

    result = runner.invoke(app, ["update", "--test", "--json", "services/good", "services/bad"])

    assert result.exit_code == 6, result.output
    report = json.loads(result.stdout)
    assert report["exit_code"] == 6
    by_path = {Path(item["path"]).name: item for item in report["services"]}
    assert by_path["bad"]["status"] == "tests failed"
    assert by_path["bad"]["tests"] == "failed" and by_path["bad"]["exit_code"] == 6
    log = Path(by_path["bad"]["test_log"])
    assert "1 failed" in log.read_text() and "assert 'hello, world' == 'hello'" in log.read_text()
    assert files(bad) == before and version(bad) == OLD
    assert status(repo, "services/bad/") == []
    assert by_path["good"]["status"] == "updated" and by_path["good"]["tests"] == "passed"
    assert version(good) == NEW and (good / ADDED).is_file()
    assert not (good / ".pytest_cache").exists()  # the tests ran on a copy


def test_the_summary_lists_the_failures_with_their_log(repo: Path) -> None:
    result = runner.invoke(app, ["update", "--test", "services/good", "services/bad"])

    assert result.exit_code == 6, result.output
    assert "update: 2 services, 0 not updated, 0 with conflicts, 1 with failing tests" in (
        result.stdout
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("  services/bad: tests"))
    log = Path(line.split("log: ", 1)[1])
    assert log.is_file() and repo not in log.parents
    assert "services/bad: not updated v0.1.0 -> v0.2.0" in result.stdout


def test_python_is_the_services_own_venv_when_it_has_one(repo: Path) -> None:
    good = repo / "services" / "good"
    own = good / ".venv" / "bin" / "python"
    own.parent.mkdir(parents=True)
    own.write_text(f'#!/bin/sh\necho "the service\'s own python"\nexec {sys.executable} "$@"\n')
    own.chmod(own.stat().st_mode | stat.S_IEXEC)

    result = runner.invoke(
        app, ["update", "--test", "--test-command", "python -c 'import app'", "services/good"]
    )

    assert result.exit_code == 0, result.output
    log = Path(result.stdout.split("tests     passed, log: ", 1)[1].splitlines()[0])
    assert "the service's own python" in log.read_text()
    assert CHANGED_LINE_NEW in (good / CHANGED).read_text()


def test_a_command_that_cannot_run_counts_as_a_failure(repo: Path) -> None:
    result = runner.invoke(
        app, ["update", "--test", "--test-command", "no-such-tool-here", "services/good"]
    )

    assert result.exit_code == 6, result.output
    assert version(repo / "services" / "good") == OLD


def test_conflicts_are_not_tested_and_written_as_without_test(repo: Path) -> None:
    bad = repo / "services" / "bad"
    clash(bad)
    commit_all(repo)

    result = runner.invoke(app, ["update", "--test", "services/bad"])

    assert result.exit_code == 3, result.output
    assert "tests     not run (conflict markers)" in result.stdout
    assert "<<<<<<<" in (bad / CHANGED).read_text()
