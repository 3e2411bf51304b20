"""`mio update` from one template version to the next: real git, real Copier, no edit lost."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from trial_history import (
    ADDED,
    BASE,
    CHANGED_FILE,
    CHANGED_LINE_NEW,
    CHANGED_LINE_OLD,
    DROPPED,
    NEXT,
    RENAMED,
    RENAMED_LINE_NEW,
    RENAMED_LINE_OLD,
    broken_history,
    two_version_history,
)
from typer.testing import CliRunner

from helpers import git
from scaffold.cli.app import app
from scaffold.generate import create_service
from scaffold.history import HISTORY_ENV, redirect_env
from scaffold.project import has_markers
from scaffold.update import update_service

runner = CliRunner()


def commit(project: Path, message: str = "owner edits") -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def recorded_version(project: Path) -> str:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(answers, dict)
    return str(answers["_commit"])


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_version_history(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, checkout_history: Path) -> Path:
    """One service made by `mio new` at BASE (this checkout's template, as the trial
    history's BASE is), copied by tests that change it."""
    made = tmp_path_factory.mktemp("made")
    return create_service({"service_name": "orders"}, made / "orders").path


@pytest.fixture
def service(pristine: Path, tmp_path: Path) -> Path:
    project = tmp_path / "orders"
    shutil.copytree(pristine, project, symlinks=True)
    return project


@pytest.fixture
def cli(history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI with the trial history in place of the shipped one."""
    monkeypatch.setenv(HISTORY_ENV, str(history))
    monkeypatch.chdir(tmp_path)
    return runner


def test_edits_away_from_template_changes_survive(cli: CliRunner, service: Path) -> None:
    append(service / "src/orders/items/router.py", "\n# owner: items stay in memory for now\n")
    health = service / CHANGED_FILE
    health.write_text(health.read_text().replace("Ready for traffic", "Ready for orders"))
    commit(service)

    result = cli.invoke(app, ["update", str(service)])

    assert result.exit_code == 0, result.output
    assert f"{BASE} -> {NEXT}" in result.output
    assert recorded_version(service) == NEXT
    text = health.read_text()
    assert CHANGED_LINE_NEW in text and "Ready for orders" in text  # both sides kept
    assert "owner: items stay in memory" in (service / "src/orders/items/router.py").read_text()
    assert (service / ADDED).is_file() and f"added     {ADDED}" in result.output
    assert f"updated   {CHANGED_FILE}" in result.output
    assert not (service / DROPPED).exists() and f"removed   {DROPPED}" in result.output
    assert not (service / RENAMED[0]).exists() and (service / RENAMED[1]).is_file()


def test_edit_on_a_changed_line_gives_markers_and_exit_3(cli: CliRunner, service: Path) -> None:
    health = service / CHANGED_FILE
    health.write_text(health.read_text().replace(CHANGED_LINE_OLD, "The process answers."))
    commit(service)

    result = cli.invoke(app, ["update", str(service)])

    assert result.exit_code == 3, result.output
    assert f"CONFLICT  {CHANGED_FILE}" in result.output
    assert has_markers(health)
    text = health.read_text()
    assert "The process answers." in text and CHANGED_LINE_NEW in text
    assert "UU " + CHANGED_FILE in git(service, "status", "--porcelain")

    check = cli.invoke(app, ["check", str(service)])
    assert check.exit_code == 3
    assert f"unresolved conflict markers in: {CHANGED_FILE}" in check.output


def test_no_edit_is_lost_to_renames_drops_or_deletions(service: Path, history: Path) -> None:
    append(service / RENAMED[0], "\n\n# owner: trust the gateway's request ids\n")
    append(service / DROPPED, "secrets/\n")
    (service / "tests/test_items.py").unlink()
    commit(service)

    report = update_service(service, bundle=history)

    assert report.exit_code == 0 and report.conflicts == []
    # The renamed file carries the owner's edit to its new name.
    assert report.carried == [RENAMED]
    assert not (service / RENAMED[0]).exists()
    assert "# owner: trust the gateway's request ids" in (service / RENAMED[1]).read_text()
    # The dropped file the owner edited is kept, and reported.
    assert report.kept == [DROPPED]
    assert "secrets/" in (service / DROPPED).read_text()
    # The file the owner deleted stays deleted.
    assert not (service / "tests/test_items.py").exists()
    assert "tests/test_items.py" not in report.added
    assert DROPPED not in report.removed and RENAMED[0] not in report.removed


def test_an_edit_clashing_in_a_renamed_file_is_a_conflict(cli: CliRunner, service: Path) -> None:
    middleware = service / RENAMED[0]
    middleware.write_text(middleware.read_text().replace(RENAMED_LINE_OLD, "Our middleware"))
    commit(service)

    result = cli.invoke(app, ["update", str(service)])

    assert result.exit_code == 3, result.output
    assert f"renamed   {RENAMED[0]} -> {RENAMED[1]}" in result.output
    assert f"CONFLICT  {RENAMED[1]}" in result.output
    text = (service / RENAMED[1]).read_text()
    assert has_markers(service / RENAMED[1])
    assert "Our middleware" in text and RENAMED_LINE_NEW in text


def test_update_twice_is_a_no_op(
    cli: CliRunner, service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.invoke(app, ["update", str(service)]).exit_code == 0
    commit(service, "update")
    head = git(service, "rev-parse", "HEAD")

    monkeypatch.chdir(service)
    again = cli.invoke(app, ["update"])  # the current directory

    assert again.exit_code == 0, again.output
    assert f"up to date at {NEXT}" in again.output
    assert git(service, "status", "--porcelain") == ""
    assert git(service, "rev-parse", "HEAD") == head


def test_dry_run_reports_the_same_and_writes_nothing(cli: CliRunner, service: Path) -> None:
    append(service / DROPPED, "secrets/\n")
    commit(service)
    before = {p: p.read_bytes() for p in service.rglob("*") if p.is_file()}

    dry = cli.invoke(app, ["update", "--dry-run", str(service)])

    assert dry.exit_code == 0, dry.output
    assert "would update" in dry.output and "nothing was written" in dry.output
    assert {p: p.read_bytes() for p in service.rglob("*") if p.is_file()} == before
    real = cli.invoke(app, ["update", str(service)])
    assert (
        real.output.replace("updated " + BASE, "would update " + BASE).splitlines()[1:-1]
        == (dry.output.splitlines()[1:-1])
    )


@pytest.mark.parametrize("dirt", ["untracked", "modified", "staged"])
def test_a_dirty_tree_is_refused_with_nothing_changed(
    cli: CliRunner, service: Path, dirt: str
) -> None:
    if dirt == "untracked":
        (service / "notes.txt").write_text("mine\n")
    else:
        append(service / "src/orders/items/router.py", "# wip\n")
        if dirt == "staged":
            git(service, "add", "src/orders/items/router.py")
    status = git(service, "status", "--porcelain")
    files = {p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts}

    result = cli.invoke(app, ["update", str(service)])

    assert result.exit_code == 2, result.output
    assert "uncommitted changes" in result.output
    assert git(service, "status", "--porcelain") == status
    assert {
        p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts
    } == files


def test_not_a_service_or_not_git_is_refused(cli: CliRunner, service: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli.invoke(app, ["update", str(empty)])
    assert result.exit_code == 2 and "no .copier-answers.yml" in result.output

    shutil.rmtree(service / ".git")
    result = cli.invoke(app, ["update", str(service)])
    assert result.exit_code == 2 and "not in a git repository" in result.output
    assert recorded_version(service) == BASE


def test_a_failed_update_is_rolled_back(service: Path, tmp_path: Path) -> None:
    append(service / DROPPED, "secrets/\n")
    commit(service)
    head = git(service, "rev-parse", "HEAD")

    result = runner.invoke(
        app, ["update", str(service)], env={HISTORY_ENV: str(broken_history(tmp_path))}
    )

    assert result.exit_code == 1, result.output
    assert "rolled back, nothing changed" in result.output
    assert git(service, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(service, "rev-parse", "HEAD") == head
    assert recorded_version(service) == BASE and "secrets/" in (service / DROPPED).read_text()


def test_add_on_a_service_behind_says_so_and_names_the_newer_version(
    cli: CliRunner, service: Path
) -> None:
    result = cli.invoke(app, ["add", "retry", "--path", str(service)])

    assert result.exit_code == 0, result.output
    assert recorded_version(service) == BASE  # the pattern comes at the service's version
    assert (
        f"note: done at {BASE}, the service's template version; the installed template is"
        f" {NEXT}: run `mio update` to go there"
    ) in result.output


def test_bad_versions_are_refused(cli: CliRunner, service: Path) -> None:
    result = cli.invoke(app, ["update", "--to", "v9.9.9", str(service)])
    assert result.exit_code == 2 and "not a released template version" in result.output
    same = cli.invoke(app, ["update", "--to", BASE, str(service)])
    assert same.exit_code == 0 and f"up to date at {BASE}" in same.output
    assert git(service, "status", "--porcelain") == ""


def test_twenty_services_in_one_call_and_one_failure_stops_none(
    cli: CliRunner, service: Path, tmp_path: Path
) -> None:
    fleet = [tmp_path / "fleet" / f"svc{i:02d}" for i in range(20)]
    for project in fleet:
        shutil.copytree(service, project, symlinks=True)
    dirty = tmp_path / "fleet" / "dirty"
    shutil.copytree(service, dirty, symlinks=True)
    (dirty / "notes.txt").write_text("wip\n")

    result = cli.invoke(app, ["update", *map(str, fleet[:10]), str(dirty), *map(str, fleet[10:])])

    assert result.exit_code == 2, result.output
    assert "update: 21 services, 1 not updated, 0 with conflicts" in result.output
    assert [recorded_version(p) for p in fleet] == [NEXT] * 20
    assert recorded_version(dirty) == BASE
    assert "dirty: error:" in result.output


def test_plain_copier_update_works_where_the_source_is_reachable(
    service: Path, history: Path
) -> None:
    """Without mio: git resolves the recorded URL (here to the trial history), Copier updates."""
    result = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--vcs-ref", NEXT],
        cwd=service,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **redirect_env(history)},
    )
    assert result.returncode == 0, result.stderr
    assert recorded_version(service) == NEXT


def test_check_reports_behind_missing_and_ok(
    cli: CliRunner, service: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli.invoke(app, ["check", str(service), str(empty), "--json"])
    assert result.exit_code == 1
    found = {Path(item["path"]).name: item for item in yaml.safe_load(result.output)}
    assert found["orders"]["ok"] is False
    assert found["orders"]["version"] == BASE and found["orders"]["latest"] == NEXT
    assert "behind" in found["orders"]["problems"][0]
    assert "no .copier-answers.yml" in found["empty"]["problems"][0]

    monkeypatch.delenv(HISTORY_ENV)  # the shipped history: the service is current
    current = cli.invoke(app, ["check", str(service)])
    assert current.exit_code == 0 and f"ok (template {BASE})" in current.output


def test_an_up_to_date_service_is_up_to_date_even_with_uncommitted_changes(
    cli: CliRunner, service: Path
) -> None:
    assert cli.invoke(app, ["update", str(service)]).exit_code == 0  # not committed
    (service / "notes.txt").write_text("mine\n")
    status = git(service, "status", "--porcelain")

    again = cli.invoke(app, ["update", str(service)])

    assert again.exit_code == 0, again.output
    assert f"up to date at {NEXT}, nothing to do" in again.output
    assert git(service, "status", "--porcelain") == status
    assert (service / "notes.txt").read_text() == "mine\n"
