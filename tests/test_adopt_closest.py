"""`mio adopt` on a service rendered from a template that no release matches (a bare
directory copy of this checkout's template with one line changed): it names the closest
release and what differs, writes nothing, and adopts at that release only with --at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plain_copier import answers_text, plain_copy
from trial_history import (
    BASE,
    CHANGED_FILE,
    CHANGED_LINE_OLD,
    NEXT,
    PACKAGE,
    copy_template,
    edit,
    two_version_history,
)
from typer.testing import CliRunner

from scaffold.answers_file import read_answers_file
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV
from scaffold.resources import TEMPLATE_SOURCE

runner = CliRunner()


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(HISTORY_ENV, str(two_version_history(tmp_path)))
    local = copy_template(tmp_path / "local-template")
    health = local / "template" / PACKAGE / "web" / "health.py"
    edit(health, CHANGED_LINE_OLD, "Our own words. Checks no dependency")
    return plain_copy(local, tmp_path / "orders")  # a directory: Copier records no _commit


def test_adopt_names_the_closest_release_and_waits_for_at(service: Path) -> None:
    before = answers_text(service)
    assert "_commit" not in read_answers_file(service)

    refused = runner.invoke(app, ["adopt", str(service)])
    assert refused.exit_code == 1, refused.output
    assert f"not adopted: no released version renders its files exactly; closest: {BASE}" in (
        refused.output
    )
    assert f"{BASE}: 1 of" in refused.output
    assert f"    {CHANGED_FILE} (+1 -1)" in refused.output
    assert f"--at {BASE}" in refused.output
    assert answers_text(service) == before

    report = json.loads(runner.invoke(app, ["adopt", str(service), "--json"]).output)
    assert report["closest"] == BASE and report["commit"]["after"] is None
    by_version = {v["version"]: v for v in report["versions"]}
    assert set(by_version) == {BASE, NEXT}
    assert by_version[BASE]["differing"] == [
        {"path": CHANGED_FILE, "added": 1, "removed": 1, "missing": False}
    ]
    assert len(by_version[NEXT]["differing"]) > 1
    assert answers_text(service) == before

    adopted = runner.invoke(app, ["adopt", str(service), "--at", BASE])
    assert adopted.exit_code == 0, adopted.output
    assert f"adopted at {BASE} (chosen with --at)" in adopted.output
    assert f"    {CHANGED_FILE} (+1 -1)" in adopted.output
    answers = read_answers_file(service)
    assert (answers["_src_path"], answers["_commit"]) == (TEMPLATE_SOURCE, BASE)
