"""Services anywhere in one repository update independently: each update touches only its
service's folder, and a dirty or conflicted sibling does not stop it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from tiny_history import (
    ADDED,
    CHANGED,
    CHANGED_LINE_NEW,
    CHANGED_LINE_OLD,
    DROPPED,
    NEW,
    OLD,
)
from typer.testing import CliRunner

from helpers import git
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV, offline_template

runner = CliRunner()


@pytest.fixture
def cli(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    monkeypatch.chdir(tmp_path)
    return runner


def commit_all(repo: Path, message: str = "owner edits") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


def make_repo(repo: Path, rendered: Path, names: list[str]) -> list[Path]:
    """A repository holding a copy of ``rendered`` at ``services/<name>`` for each name."""
    services = [repo / "services" / name for name in names]
    for service in services:
        shutil.copytree(rendered, service)
    (repo / "docs").mkdir()
    (repo / "docs" / "runbook.md").write_text("# Runbook\n")
    git(repo, "init", "--quiet")
    commit_all(repo, "services")
    return services


def version(service: Path) -> str:
    return str(yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"])


def clash(service: Path) -> None:
    """An owner's edit on the line NEW changes: the update conflicts there."""
    app_py = service / CHANGED
    app_py.write_text(app_py.read_text().replace(CHANGED_LINE_OLD, "GREETING = 'hi'"))


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(folder).parts
    }


def status(repo: Path, prefix: str = "") -> list[str]:
    """``git status --porcelain`` lines under ``prefix``, with the prefix taken off."""
    lines = git(repo, "status", "--porcelain", "--untracked-files=all", "--", prefix or ".")
    return sorted(line[:3] + line[3:].removeprefix(prefix) for line in lines.splitlines())


@pytest.mark.parametrize("layout", ["one repository", "twenty repositories"])
def test_twenty_services_with_a_dirty_and_a_conflicted_one(
    cli: CliRunner, rendered: Path, tmp_path: Path, layout: str
) -> None:
    names = [f"svc{i:02d}" for i in range(20)]
    if layout == "one repository":
        services = make_repo(tmp_path / "mono", rendered, names)
        repos = {service: tmp_path / "mono" for service in services}
    else:
        services = [make_repo(tmp_path / name, rendered, [name])[0] for name in names]
        repos = {service: tmp_path / service.name for service in services}
    clash(services[3])
    commit_all(repos[services[3]])
    (services[5] / "wip.txt").write_text("not committed\n")
    (repos[services[0]] / "docs" / "runbook.md").unlink()  # the owner's, outside any service

    result = cli.invoke(app, ["update", *map(str, services)])

    assert result.exit_code == 2, result.output  # the dirty one is refused
    assert "1 not updated, 1 with conflicts" in result.output
    assert "ProcessExecutionError" not in result.output
    assert [version(s) for s in services] == [NEW if s != services[5] else OLD for s in services]
    assert (services[5] / "wip.txt").is_file() and (services[5] / DROPPED).is_file()
    assert "UU app.py" in status(repos[services[3]], f"services/{names[3]}/")
    assert "<<<<<<<" in (services[3] / CHANGED).read_text()
    for service in services[:3] + services[6:]:
        assert (service / ADDED).is_file() and not (service / DROPPED).exists()
        assert CHANGED_LINE_NEW in (service / CHANGED).read_text()
        prefix = f"services/{service.name}/"
        assert status(repos[service], prefix) == [
            " D notes.txt",
            " M .copier-answers.yml",
            " M app.py",
            "?? CONTRIBUTING.md",
        ]
    assert not (repos[services[0]] / "docs" / "runbook.md").exists()  # still deleted


def test_a_second_service_updated_before_committing_leaves_the_first_alone(
    cli: CliRunner, rendered: Path, tmp_path: Path
) -> None:
    first, second = make_repo(tmp_path / "mono", rendered, ["svc-c", "svc-d"])
    (tmp_path / "mono" / "docs" / "runbook.md").unlink()

    assert cli.invoke(app, ["update", str(first)]).exit_code == 0
    after_first = files(first)
    result = cli.invoke(app, ["update", str(second)])

    assert result.exit_code == 0, result.output
    assert files(first) == after_first and not (first / DROPPED).exists()
    assert version(first) == version(second) == NEW
    assert not (tmp_path / "mono" / "docs" / "runbook.md").exists()
    assert " D docs/runbook.md" in status(tmp_path / "mono")


def test_a_conflicted_sibling_does_not_stop_the_next_update(
    cli: CliRunner, rendered: Path, tmp_path: Path
) -> None:
    first, second = make_repo(tmp_path / "mono", rendered, ["svc-a", "svc-b"])
    clash(first)
    commit_all(tmp_path / "mono")
    assert cli.invoke(app, ["update", str(first)]).exit_code == 3

    result = cli.invoke(app, ["update", str(second)])

    assert result.exit_code == 0, result.output
    assert version(second) == NEW
    assert "UU app.py" in status(tmp_path / "mono", "services/svc-a/")


def test_the_result_is_copiers_in_a_repository_of_its_own(
    cli: CliRunner, rendered: Path, bundle: Path, tmp_path: Path
) -> None:
    """A conflicted service in a monorepo ends as plain Copier leaves it alone in its repo."""
    from copier import run_update

    (service,) = make_repo(tmp_path / "mono", rendered, ["svc"])
    alone = tmp_path / "alone"
    shutil.copytree(rendered, alone)
    git(alone, "init", "--quiet")
    for project, repo in ((service, tmp_path / "mono"), (alone, alone)):
        clash(project)
        commit_all(repo)

    assert cli.invoke(app, ["update", str(service)]).exit_code == 3
    with offline_template(bundle):
        run_update(alone, vcs_ref=NEW, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert files(service) == files(alone)
    assert status(tmp_path / "mono", "services/svc/") == status(alone)


def test_a_service_named_twice_is_updated_once(
    cli: CliRunner, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (service,) = make_repo(tmp_path / "mono", rendered, ["dup"])
    monkeypatch.chdir(service.parent)

    result = cli.invoke(app, ["update", "dup", "dup/", "./dup"])

    assert result.exit_code == 0, result.output
    assert result.output.count("updated v0.1.0 -> v0.2.0") == 1
    assert "up to date" not in result.output and version(service) == NEW


def test_a_template_change_to_a_file_the_owner_deleted_is_reported(
    cli: CliRunner, rendered: Path, tmp_path: Path
) -> None:
    (service,) = make_repo(tmp_path / "mono", rendered, ["svc"])
    (service / CHANGED).unlink()  # NEW changes it
    (service / "README.md").unlink()  # NEW leaves it as it was
    commit_all(tmp_path / "mono")

    result = cli.invoke(app, ["update", "--json", str(service)])

    assert result.exit_code == 0, result.output
    (item,) = __import__("json").loads(result.stdout)["services"]
    assert item["skipped_deleted"] == [CHANGED]
    assert not (service / CHANGED).exists() and not (service / "README.md").exists()
    git(tmp_path / "mono", "checkout", "--quiet", "--", ".")
    git(tmp_path / "mono", "clean", "-fdq")
    text = cli.invoke(app, ["update", "--dry-run", str(service)])
    assert f"skipped   {CHANGED} (you deleted it; the new version changes it" in text.output
    assert "README.md" not in text.output
