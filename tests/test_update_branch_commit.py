"""`mio update --branch NAME --commit`: each service's update is one commit on branch NAME,
the working tree and index untouched; `--commit` alone commits on the current branch; an
update with conflicts is never committed."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_update_monorepo import clash, commit_all, files, make_repo, status, version
from tiny_history import ADDED, DROPPED, NEW, OLD
from typer.testing import CliRunner

from helpers import git
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV

runner = CliRunner()


@pytest.fixture
def repo(bundle: Path, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding services `a`, `b` and `c`."""
    repo = tmp_path / "mono"
    make_repo(repo, rendered, ["a", "b", "c"])
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    monkeypatch.chdir(repo)
    return repo


def show(repo: Path, revision: str, name: str) -> str:
    return git(repo, "show", f"{revision}:{name}")


def test_one_commit_per_service_on_the_branch_and_the_working_tree_untouched(repo: Path) -> None:
    (repo / "docs" / "runbook.md").write_text("# Runbook, being edited\n")  # the owner's work
    (repo / "scratch.txt").write_text("untracked\n")
    head = git(repo, "rev-parse", "HEAD").strip()
    before = files(repo)

    result = runner.invoke(app, ["update", "services/a", "services/b", "--branch", "mio/up"])

    assert result.exit_code == 0, result.output
    assert files(repo) == before and git(repo, "rev-parse", "HEAD").strip() == head
    assert status(repo) == [" M docs/runbook.md", "?? scratch.txt"]
    assert git(repo, "branch", "--show-current").strip() == "main"
    commits = git(repo, "rev-list", "--reverse", f"{head}..mio/up").split()
    assert len(commits) == 2
    messages = {git(repo, "log", "-1", "--format=%B", c).strip() for c in commits}
    assert messages == {  # the service's name (every copy is `svc`) and its folder
        f"Update svc to template {NEW}\n\n"
        f"mio update: svc (services/{folder}) from template {OLD} to {NEW}."
        for folder in ("a", "b")
    }
    for commit in commits:  # each commit holds one service's update
        changed = git(repo, "diff", "--name-only", f"{commit}~1", commit).split()
        assert len({name.split("/")[1] for name in changed}) == 1
    changed = git(repo, "diff", "--name-status", head, "mio/up").splitlines()
    assert sorted(line.split("\t")[1].split("/")[1] for line in changed) == ["a"] * 4 + ["b"] * 4
    for name in ("a", "b"):
        assert f'_commit: "{NEW}"' in show(repo, "mio/up", f"services/{name}/.copier-answers.yml")
        assert show(repo, "mio/up", f"services/{name}/{ADDED}") == "# Contributing\n"
        assert not git(repo, "ls-tree", "mio/up", f"services/{name}/{DROPPED}")
    assert f'_commit: "{OLD}"' in show(repo, "mio/up", "services/c/.copier-answers.yml")
    assert "committed" in result.stdout and "on mio/up" in result.stdout


def test_a_second_run_adds_on_top_of_the_branch(repo: Path) -> None:
    assert runner.invoke(app, ["update", "services/a", "--branch", "mio/up"]).exit_code == 0
    first = git(repo, "rev-parse", "mio/up").strip()

    result = runner.invoke(app, ["update", "services/c", "--branch", "mio/up", "--json"])

    assert result.exit_code == 0, result.output
    assert git(repo, "rev-parse", "mio/up~1").strip() == first
    assert f'_commit: "{NEW}"' in show(repo, "mio/up", "services/a/.copier-answers.yml")
    assert f'_commit: "{NEW}"' in show(repo, "mio/up", "services/c/.copier-answers.yml")
    assert '"branch": "mio/up"' in result.stdout


def test_a_run_finding_its_update_on_the_branch_adds_no_empty_commit(repo: Path) -> None:
    assert runner.invoke(app, ["update", "services/a", "--branch", "mio/up"]).exit_code == 0
    first = git(repo, "rev-parse", "mio/up").strip()

    result = runner.invoke(app, ["update", "services/a", "--branch", "mio/up"])

    assert result.exit_code == 0, result.output
    assert git(repo, "rev-parse", "mio/up").strip() == first


def test_conflicts_are_reported_and_nothing_is_committed_or_written(repo: Path) -> None:
    clash(repo / "services" / "b")
    commit_all(repo)
    before = files(repo)

    result = runner.invoke(app, ["update", "services/b", "--branch", "mio/up", "--commit"])

    assert result.exit_code == 3, result.output
    assert "not written: conflicts: not committed on mio/up" in result.stdout
    assert files(repo) == before and status(repo) == []
    assert not git(repo, "branch", "--list", "mio/up").strip()


def test_commit_alone_commits_on_the_current_branch(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()

    result = runner.invoke(app, ["update", "services/a", "--commit"])

    assert result.exit_code == 0, result.output
    assert git(repo, "rev-parse", "HEAD~1").strip() == head
    assert status(repo) == [] and version(repo / "services" / "a") == NEW
    assert git(repo, "log", "-1", "--format=%s").strip() == f"Update svc to template {NEW}"


def test_commit_alone_with_conflicts_writes_the_markers_and_does_not_commit(repo: Path) -> None:
    clash(repo / "services" / "a")
    commit_all(repo)
    head = git(repo, "rev-parse", "HEAD").strip()

    result = runner.invoke(app, ["update", "services/a", "--commit"])

    assert result.exit_code == 3, result.output
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert "UU app.py" in status(repo, "services/a/")


def test_failing_tests_commit_nothing(repo: Path) -> None:
    failing = "python -c 'raise SystemExit(1)'"
    result = runner.invoke(
        app, ["update", "services/a", "--test", "--test-command", failing, "--branch", "mio/up"]
    )

    assert result.exit_code == 6, result.output
    assert not git(repo, "branch", "--list", "mio/up").strip()
    assert status(repo) == []


def test_a_branch_name_git_refuses_is_refused_before_any_work(repo: Path) -> None:
    result = runner.invoke(app, ["update", "services/a", "--branch", "bad..name"])

    assert result.exit_code == 2, result.output
    assert "--branch bad..name: not a valid git branch name" in result.output
    assert status(repo) == [] and not git(repo, "branch", "--list", "bad*").strip()


def test_the_summary_says_a_conflicted_service_was_left_off_the_branch(repo: Path) -> None:
    clash(repo / "services" / "b")
    commit_all(repo)

    result = runner.invoke(app, ["update", "services/a", "services/b", "--branch", "mio/up"])

    assert result.exit_code == 3, result.output
    assert (
        "  services/b: conflicts in app.py; conflicts: not committed on mio/up, nothing written"
        in result.stdout
    )
    assert len(git(repo, "rev-list", "HEAD..mio/up").split()) == 1
    assert status(repo) == []
