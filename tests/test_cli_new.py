"""`mio new service` and friends, in-process through Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import tree
from scaffold import __version__
from scaffold.cli.app import app
from scaffold.resources import TEMPLATE_SOURCE

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_new_service_with_defaults(workdir: Path) -> None:
    result = runner.invoke(app, ["new", "service", "orders", "--defaults"])
    assert result.exit_code == 0, result.output
    project = workdir / "orders"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == f"v{__version__}"
    assert answers["_src_path"].startswith("https://")
    assert (project / ".git").is_dir()
    assert "Created service orders" in result.output
    assert "pip install -e '.[dev]'" in result.output and "pytest" in result.output
    assert [p.name for p in workdir.iterdir()] == ["orders"]  # no staging left behind


def test_output_and_flags(workdir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "new",
            "service",
            "billing",
            "--output",
            "services/billing",
            "--description",
            "Bills customers.",
            "--http-port",
            "9100",
            "--data",
            "owner=team-billing",
        ],
    )
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((workdir / "services/billing/.copier-answers.yml").read_text())
    assert answers["description"] == "Bills customers."
    assert answers["http_port"] == 9100
    assert answers["owner"] == "team-billing"


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (["../x"], "DNS-1123 label"),
        (["Orders"], "DNS-1123 label"),
        (["{{7*7}}"], "DNS-1123 label"),
        (["x", "--messaging", "bogus"], "messaging must be one of"),
        (["x", "--gateway", "bogus"], "gateway must be one of"),
        (["x", "--resilience", "bogus"], "resilience must be one of"),
        (["x", "--http-port", "80"], "http_port must be between"),
        (["x", "--data", "colour=red"], "unknown question 'colour'"),
        (["x", "--description", "two\nlines"], "one line of printable text"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    workdir: Path, args: list[str], rule: str
) -> None:
    before = tree(workdir.parent)
    result = runner.invoke(app, ["new", "service", *args, "--defaults"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and rule in lines[0], result.output
    assert tree(workdir.parent) == before


def test_existing_non_empty_destination_is_refused_and_untouched(workdir: Path) -> None:
    (workdir / "orders").mkdir()
    (workdir / "orders" / "notes.txt").write_text("mine")
    before = tree(workdir)
    result = runner.invoke(app, ["new", "service", "orders", "--defaults"])
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output
    assert tree(workdir) == before
    assert (workdir / "orders" / "notes.txt").read_text() == "mine"


def test_existing_empty_destination_is_used(workdir: Path) -> None:
    (workdir / "orders").mkdir()
    assert runner.invoke(app, ["new", "service", "orders", "--defaults"]).exit_code == 0
    assert (workdir / "orders" / "pyproject.toml").is_file()


def test_version_and_help() -> None:
    version = runner.invoke(app, ["--version"]).output.splitlines()
    assert version[0] == f"mio {__version__}"
    assert version[1].startswith(f"template source: {TEMPLATE_SOURCE} ")
    help_text = runner.invoke(app, ["--help"]).output
    assert "mio new service orders" in help_text
    new_help = runner.invoke(app, ["new", "service", "--help"]).output
    for option in ("--output", "--messaging", "--gateway", "--resilience", "--data", "--defaults"):
        assert option in new_help


def test_patterns_list_and_show() -> None:
    listing = runner.invoke(app, ["patterns", "list"])
    assert listing.exit_code == 0
    unknown = runner.invoke(app, ["patterns", "show", "nope"])
    assert unknown.exit_code == 2
    assert "unknown pattern 'nope'" in unknown.output
