"""Every `mio` command shown in a shell block of README.md and docs/ runs, as written, and
succeeds.

Each command runs in a workspace of its own: `mio new` in an empty folder (holding a copy
of the fleet's `orders` when the command consumes its events with `--consumes`); every
other in a copy of a small fleet (`orders` on Redis, `billing`, and `shipping` on Redis at
the top, `services/orders` without a pattern, `services/billing` with retry, and
docs/fleet.md's `shop/` of three, each a committed service made from this checkout's
template), from the top of it when the command
names one of its paths, else from inside `services/billing` (commands that act on "this
service").
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
from pathlib import Path

import pytest
from test_readme_commands import shown_commands
from typer.testing import CliRunner

from scaffold.cli.app import app
from scaffold.contracts import consumed_events
from scaffold.generate import create_service

runner = CliRunner()
SERVICES = {
    "orders": {"messaging": "redis"},
    "billing": {},
    "shipping": {"messaging": "redis"},
    "services/orders": {},
    "services/billing": {"resilience": ["retry"]},
}
#: docs/fleet.md's walk-through: three services that fit together (fleet check passes).
SHOP = {
    "shop/orders": {"messaging": "redis"},
    "shop/shipping": {"messaging": "redis", "consumes": ["orders.items.created"]},
    "shop/billing": {
        "messaging": "redis",
        "resilience": ["circuit-breaker"],
        "consumes": ["orders.items.created"],
    },
}


def commands() -> list[tuple[str, str]]:
    """Each distinct shown command once (README and docs repeat a few), in document order."""
    seen: dict[str, str] = {}
    for document, command in shown_commands():
        seen.setdefault(command, document)
    return [(document, command) for command, document in seen.items()]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, checkout_history: Path) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    for path, answers in {**SERVICES, **SHOP}.items():
        if "consumes" in answers:
            answers = {**answers, "consumed_events": consumed_events(answers["consumes"], [root])}
        create_service({"service_name": Path(path).name, **answers}, root / path, lock=False)
    return root


def arguments(command: str, workspace: Path) -> tuple[list[str], Path]:
    """The command's words (globs expanded as a shell would) and the folder to run it in."""
    words: list[str] = []
    names_a_path = False
    for word in shlex.split(command)[1:]:
        matches = sorted(glob.glob(word, root_dir=workspace)) if "*" in word else []
        words += matches or [word]
        names_a_path |= bool(matches) or (
            not word.startswith("-") and (workspace / word.split("=")[-1]).exists()
        )
    return words, workspace if names_a_path else workspace / "services" / "billing"


@pytest.mark.parametrize(("document", "command"), commands())
def test_shown_command_runs(
    document: str, command: str, fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "workspace"
    if command.startswith("mio new "):
        workspace.mkdir()
        if "--consumes" in command:
            shutil.copytree(fleet / "orders", workspace / "orders", symlinks=True)
        words, cwd = shlex.split(command)[1:], workspace
    else:
        shutil.copytree(fleet, workspace, symlinks=True)
        words, cwd = arguments(command, workspace)
    monkeypatch.chdir(cwd)
    monkeypatch.setitem(os.environ, "COLUMNS", "100")
    result = runner.invoke(app, words)
    assert result.exit_code == 0, f"{document}: {command}\n{result.output}"
