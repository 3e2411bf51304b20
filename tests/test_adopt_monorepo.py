"""`mio adopt` on a service in a folder of a larger repository: the service's files are
read from the commit that last wrote its answers file, under its folder; a later commit
elsewhere in the repository changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from plain_copier import commit_all, git, plain_copy
from trial_history import BASE, copy_template
from typer.testing import CliRunner

from scaffold.answers_file import read_answers_file
from scaffold.cli.app import app
from scaffold.resources import TEMPLATE_SOURCE

runner = CliRunner()


def test_adopt_reads_the_service_folder_of_a_monorepo(
    tmp_path: Path, checkout_history: Path
) -> None:
    monorepo = tmp_path / "shop"
    monorepo.mkdir()
    git(monorepo, "init", "--quiet")
    (monorepo / "README.md").write_text("# Shop\n")
    commit_all(monorepo, "Start")
    service = monorepo / "services" / "orders"
    plain = plain_copy(copy_template(tmp_path / "local-template"), tmp_path / "orders")
    shutil.copytree(plain, service, ignore=shutil.ignore_patterns(".git"))
    commit_all(monorepo, "Import orders")
    (monorepo / "README.md").write_text("# Shop\n\nThree services.\n")
    commit_all(monorepo, "Later edit outside the service")

    result = runner.invoke(app, ["adopt", str(service)])

    assert result.exit_code == 0, result.output
    assert f"adopted at {BASE} (identical render)" in result.output
    answers = read_answers_file(service)
    assert (answers["_src_path"], answers["_commit"]) == (TEMPLATE_SOURCE, BASE)
