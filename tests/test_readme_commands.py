"""Every `mio` command shown in README.md and docs/ is run by a test.

Console sessions (```console blocks, commands after `$ `) are run here and their shown
output must appear in the real output, in order (`...` stands for lines left out). Every
other command shown is parsed by the real command line, so a renamed command or option
fails here; what those commands do is tested by their own test files.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helpers import ROOT
from scaffold.cli.app import app

runner = CliRunner()
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(kind: str) -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for match in _FENCE.finditer(document.read_text()):
            if match.group(1) == kind:
                found.append((document.name, match.group(2)))
    return found


def shown_commands() -> list[tuple[str, str]]:
    commands = []
    for document, text in blocks("sh"):
        for line in text.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            for part in re.split(r"\s*&&\s*", line):
                if part.startswith("mio "):
                    commands.append((document, part))
    return commands


def sessions() -> list[tuple[str, str, list[str]]]:
    """(document, command, shown output lines) for every `$ mio` of a console block."""
    found = []
    for document, text in blocks("console"):
        command, shown = None, []
        for line in [*text.splitlines(), "$ "]:
            if line.startswith("$ "):
                if command:
                    found.append((document, command, shown))
                command, shown = line[2:].strip() or None, []
            else:
                shown.append(line)
    return found


def test_the_documents_show_commands() -> None:
    assert len(shown_commands()) > 10
    assert {c.split()[1] for _, c in [(d, s) for d, s, _ in sessions()]} >= {"patterns", "explain"}


@pytest.mark.parametrize(("document", "command", "shown"), sessions())
def test_console_session(
    document: str, command: str, shown: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    words = shlex.split(command)
    assert words[0] == "mio"
    result = runner.invoke(app, words[1:])
    assert result.exit_code == 0, result.output
    actual = iter(result.output.splitlines())
    for line in shown:
        if line == "...":
            continue
        assert any(out == line for out in actual), f"{document}: {line!r} not in\n{result.output}"


@pytest.mark.parametrize(("document", "command"), shown_commands())
def test_shown_command_parses(document: str, command: str) -> None:
    words = shlex.split(command)[1:]
    if "--help" in words:
        assert runner.invoke(app, words).exit_code == 0
        return
    group = typer.main.get_command(app)
    context = group.make_context("mio", list(words))
    command_obj = group
    while hasattr(command_obj, "resolve_command"):
        # A group keeps the subcommand and its arguments apart from its own (click renamed
        # the attribute over versions).
        protected = getattr(context, "_protected_args", None) or getattr(
            context, "protected_args", []
        )
        rest = [*protected, *context.args]
        if not rest:
            break
        name, sub, args = command_obj.resolve_command(context, rest)
        assert sub is not None, f"{document}: {command}"
        context = sub.make_context(name, list(args), parent=context)
        command_obj = sub
