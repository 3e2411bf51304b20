"""`mio adopt` refuses, with exit 2, one line naming the rule, and nothing written: a
folder that is not a Copier project, an answers file without a source, answers that break
copier.yml's rules, a tree with uncommitted changes, and an --at that is not released."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from plain_copier import commit_all, git, plain_copy
from trial_history import copy_template
from typer.testing import CliRunner

from scaffold.answers_file import ANSWERS_FILE
from scaffold.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, checkout_history: Path) -> Path:
    work = tmp_path_factory.mktemp("adopt-refusals")
    return plain_copy(copy_template(work / "local-template"), work / "orders")


def _no_answers(service: Path) -> None:
    (service / ANSWERS_FILE).unlink()
    commit_all(service, "No answers")


def _no_source(service: Path) -> None:
    answers = service / ANSWERS_FILE
    answers.write_text(
        "".join(line for line in answers.read_text().splitlines(True) if "_src_path" not in line)
    )
    commit_all(service, "No source")


def _invalid_answer(service: Path) -> None:
    answers = service / ANSWERS_FILE
    answers.write_text(answers.read_text().replace('service_name: "orders"', 'service_name: "9 x"'))
    commit_all(service, "Bad name")


def _dirty(service: Path) -> None:
    (service / "notes.txt").write_text("not committed\n")


def _nothing(service: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("spoil", "extra", "rule"),
    [
        (_no_answers, [], "not a Copier project"),
        (_no_source, [], "records no _src_path"),
        (_invalid_answer, [], "service_name"),
        (_dirty, [], "uncommitted changes or untracked files"),
        (_nothing, ["--at", "v99.0.0"], "not a released template version"),
    ],
)
def test_adopt_refuses_and_writes_nothing(
    spoil: Callable[[Path], None], extra: list[str], rule: str, rendered: Path, tmp_path: Path
) -> None:
    service = tmp_path / "orders"
    shutil.copytree(rendered, service, symlinks=True)
    spoil(service)
    head = git(service, "rev-parse", "HEAD")
    files = {p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts}

    result = runner.invoke(app, ["adopt", str(service), *extra])

    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and rule in errors[0], result.output
    assert git(service, "rev-parse", "HEAD") == head
    now = {p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert now == files


def test_adopt_refuses_a_folder_outside_git(rendered: Path, tmp_path: Path) -> None:
    service = tmp_path / "orders"
    shutil.copytree(rendered, service, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    before = (service / ANSWERS_FILE).read_text()
    result = runner.invoke(app, ["adopt", str(service)])
    assert result.exit_code == 2 and "not in a git repository" in result.output, result.output
    assert (service / ANSWERS_FILE).read_text() == before
