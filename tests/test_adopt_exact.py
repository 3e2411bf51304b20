"""`mio adopt` on a service made by plain `copier copy` from a local clone of a released
template, with its owner's edits committed on top: the released version is found by
content, the answers file records the canonical source and that version, and from then on
`mio check` and `mio update` work on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from plain_copier import answers_text, clone_release, commit_all, plain_copy
from trial_history import BASE, CHANGED_FILE, CHANGED_LINE_NEW, NEXT, two_version_history
from typer.testing import CliRunner

from scaffold.answers_file import read_answers_file
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV
from scaffold.resources import TEMPLATE_SOURCE

runner = CliRunner()
OWNER_LINE = "Owned by the orders team.\n"


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bundle = two_version_history(tmp_path)
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    clone = clone_release(bundle, BASE, tmp_path / "template-clone")
    service = plain_copy(clone, tmp_path / "orders", ref=BASE)
    with (service / "README.md").open("a") as readme:
        readme.write(OWNER_LINE)
    commit_all(service, "Owner edit")
    return service


def test_adopt_finds_the_release_and_mio_takes_over(service: Path) -> None:
    before = answers_text(service)
    assert read_answers_file(service)["_src_path"] != TEMPLATE_SOURCE

    dry = runner.invoke(app, ["adopt", str(service), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would adopt at {BASE} (identical render)" in dry.output
    assert f"{NEXT}: 1 of" not in dry.output  # NEXT differs in more than one file
    assert answers_text(service) == before

    result = runner.invoke(app, ["adopt", str(service)])
    assert result.exit_code == 0, result.output
    assert f"adopted at {BASE} (identical render)" in result.output
    answers = read_answers_file(service)
    assert (answers["_src_path"], answers["_commit"]) == (TEMPLATE_SOURCE, BASE)
    changed = set(answers_text(service).splitlines()) ^ set(before.splitlines())
    assert all(line.startswith(("_src_path:", "_commit:")) for line in changed), changed
    commit_all(service, "Adopt")

    behind = runner.invoke(app, ["check", str(service)])
    assert behind.exit_code == 4 and "behind" in behind.output, behind.output  # 4: behind
    update = runner.invoke(app, ["update", str(service)])
    assert update.exit_code == 0, update.output
    assert f"{BASE} -> {NEXT}" in update.output
    assert CHANGED_LINE_NEW in (service / CHANGED_FILE).read_text()
    assert (service / "README.md").read_text().endswith(OWNER_LINE)
    commit_all(service, "Update")
    current = runner.invoke(app, ["check", str(service)])
    assert current.exit_code == 0, current.output

    again = runner.invoke(app, ["adopt", str(service)])
    assert again.exit_code == 0 and "already adopted" in again.output, again.output
    back = runner.invoke(app, ["adopt", str(service), "--at", BASE])
    assert back.exit_code == 2 and f"already adopted at {NEXT}" in back.output, back.output
    assert read_answers_file(service)["_commit"] == NEXT
