"""The answers of an existing service go through copier.yml's rules too: `mio add`'s
--data, the answers file that `mio check`, `mio update`, `mio add` and `mio remove` read.
A bad answer exits 2 with one line naming the question, the value, the rule and where
it came from, and nothing is written."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from trial_history import BASE, NEXT, two_version_history
from typer.testing import CliRunner

from helpers import git
from scaffold.cli.app import app
from scaffold.generate import create_service
from scaffold.history import HISTORY_ENV
from scaffold.resources import FORMER_SOURCES, TEMPLATE_SOURCE

runner = CliRunner()


def snapshot(project: Path) -> tuple[str, str]:
    """The commit and the work tree's state: equal before and after means nothing written."""
    return git(project, "rev-parse", "HEAD"), git(project, "status", "--porcelain", "-uall")


def edit_answers(project: Path, pattern: str, replacement: str) -> None:
    answers = project / ".copier-answers.yml"
    text, found = re.subn(pattern, replacement, answers.read_text(), flags=re.M)
    assert found, pattern
    answers.write_text(text)
    git(project, "commit", "--quiet", "--allow-empty", "-am", "hand edit")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, checkout_history: Path) -> Path:
    """Made from this checkout's template, as the trial history's BASE is."""
    return create_service({"service_name": "orders"}, tmp_path_factory.mktemp("m") / "orders").path


@pytest.fixture
def service(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "orders"
    shutil.copytree(pristine, project, symlinks=True)
    monkeypatch.chdir(tmp_path)
    return project


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("http_port=80", "http_port=80 from --data: http_port must be between 1024 and 65535"),
        ("owner=two\nlines", "owner='two\\nlines' from --data: owner must be one line"),
        ("bogus_question=1", "bogus_question='1' from --data: unknown question 'bogus_question'"),
        ("description=" + "x" * 201, "from --data: description must be one line of printable"),
    ],
)
def test_add_refuses_bad_data_before_writing(service: Path, item: str, expected: str) -> None:
    before = snapshot(service)
    result = runner.invoke(app, ["add", "retry", "--path", str(service), "--data", item])
    assert result.exit_code == 2, result.output
    assert expected in one_line(result.output)
    assert snapshot(service) == before


def test_add_keeps_text_data_as_typed(service: Path) -> None:
    result = runner.invoke(
        app, ["add", "retry", "--path", str(service), "--data", "description=Orders: yes"]
    )
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["description"] == "Orders: yes"
    assert answers["resilience"] == ["retry"]


@pytest.mark.parametrize(
    ("pattern", "replacement", "expected"),
    [
        (r"^http_port: .*$", "http_port: 80", "http_port=80 from orders/.copier-answers.yml:"),
        (r"^messaging: .*$", "messaging: zeromq", "messaging='zeromq' from orders/.copier"),
        (r"^owner: .*$", "owner: null", "owner=None from orders/.copier-answers.yml: owner must"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["check", "orders"],
        ["update", "orders"],
        ["add", "retry", "-p", "orders"],
        ["remove", "retry", "-p", "orders"],
    ],
)
def test_a_bad_answers_file_is_refused_naming_it(
    service: Path, pattern: str, replacement: str, expected: str, command: list[str]
) -> None:
    edit_answers(service, pattern, replacement)
    before = snapshot(service)
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert snapshot(service) == before
    if command[0] != "check":
        assert expected in one_line(result.output)


def test_former_source_keeps_updating_and_is_re_pointed(
    service: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HISTORY_ENV, str(two_version_history(tmp_path / "history")))
    edit_answers(service, r"^_src_path: .*$", f"_src_path: {FORMER_SOURCES[0]}")
    assert runner.invoke(app, ["check", "orders"]).exit_code == 4  # behind, nothing worse

    result = runner.invoke(app, ["update", "orders"])

    assert result.exit_code == 0, result.output
    assert f"template source: {FORMER_SOURCES[0]} -> {TEMPLATE_SOURCE}" in result.output
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == TEMPLATE_SOURCE
    assert answers["_commit"] == NEXT != BASE


def test_former_source_at_the_newest_version_is_re_pointed(service: Path) -> None:
    edit_answers(service, r"^_src_path: .*$", f"_src_path: {FORMER_SOURCES[0]}")
    result = runner.invoke(app, ["update", "orders"])
    assert result.exit_code == 0, result.output
    assert TEMPLATE_SOURCE in result.output
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == TEMPLATE_SOURCE
    assert git(service, "status", "--porcelain") == " M .copier-answers.yml\n"


def test_update_never_fetches_the_recorded_source(
    service: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With git forbidden every protocol but local files, the update still works."""
    import os
    import sys

    history = two_version_history(tmp_path / "history")
    for source in (TEMPLATE_SOURCE, FORMER_SOURCES[0]):
        project = tmp_path / f"copy-{len(source)}"
        shutil.copytree(service, project, symlinks=True)
        edit_answers(project, r"^_src_path: .*$", f"_src_path: {source}")
        env = {**os.environ, HISTORY_ENV: str(history), "GIT_ALLOW_PROTOCOL": "file"}
        result = subprocess.run(
            [sys.executable, "-m", "scaffold", "update", str(project)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == NEXT
