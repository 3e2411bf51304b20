"""Help that teaches and completes: every option and argument with a fixed set of values
completes them and lists them; examples keep each command whole; a closed pipe is quiet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.answers import choice_values
from scaffold.catalog import load_catalog
from scaffold.cli.app import app

runner = CliRunner()
BROKERS = list(choice_values("messaging"))
GATEWAYS = list(choice_values("gateway"))
POLICIES = list(choice_values("resilience"))


def complete(line: str) -> list[str]:
    """What bash completion offers for the last word of ``line``."""
    words = line.split(" ")
    env = {"_MIO_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    result = runner.invoke(app, [], prog_name="mio", env=env)
    assert result.exit_code == 0, result.output
    return result.output.split()


@pytest.mark.parametrize("command", ["mio patterns show", "mio add", "mio remove"])
def test_pattern_ids_complete(command: str) -> None:
    assert complete(f"{command} ") == list(load_catalog())
    assert complete(f"{command} circ") == ["circuit-breaker"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mio new service x --messaging ", BROKERS),
        ("mio new service x --messaging r", ["redis", "rabbitmq"]),
        ("mio new service x --gateway ", GATEWAYS),
        ("mio add async-messaging --messaging n", ["none", "nats"]),
        ("mio add api-gateway --gateway e", ["envoy"]),
        ("mio gateway build s --engine ", ["nginx", "traefik", "envoy"]),
        ("mio new service x --resilience ", POLICIES),
        ("mio new service x --resilience retry,c", ["retry,circuit-breaker"]),
        ("mio new service x --resilience retry,", [f"retry,{p}" for p in POLICIES[1:]]),
        ("mio new service x --data mess", ["messaging="]),
        ("mio new service x --data gateway=n", ["gateway=none", "gateway=nginx"]),
    ],
)
def test_option_values_complete(line: str, expected: list[str]) -> None:
    assert complete(line) == expected


@pytest.mark.parametrize(
    ("args", "values"),
    [
        (["new", "service", "--help"], [*BROKERS, *GATEWAYS, *POLICIES]),
        (["add", "--help"], [*BROKERS, *GATEWAYS, *load_catalog()]),
        (["remove", "--help"], list(load_catalog())),
        (["patterns", "show", "--help"], list(load_catalog())),
        (["gateway", "build", "--help"], ["nginx", "traefik", "envoy"]),
    ],
)
def test_help_lists_the_choices(args: list[str], values: list[str]) -> None:
    text = " ".join(runner.invoke(app, args, terminal_width=200).output.split())
    for value in values:
        assert value in text, value


@pytest.mark.parametrize(
    "args",
    [[], ["new", "service"], ["update"], ["add"], ["remove"], ["check"], ["gateway", "build"]],
)
@pytest.mark.parametrize("width", [40, 60, 80])
def test_help_examples_are_never_wrapped(args: list[str], width: int) -> None:
    output = runner.invoke(app, [*args, "--help"], terminal_width=width).output
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    examples = [line.strip() for line in lines[start + 1 :] if line.strip()]
    examples = examples[: next((i for i, e in enumerate(examples) if e.endswith(":")), None)]
    assert examples and all(line.startswith("mio ") for line in examples), output
    if args == ["new", "service"]:
        assert any("--resilience retry,circuit-breaker" in line for line in examples)


def closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run mio with its stdout a pipe whose reader has already gone."""
    script = f"{sys.executable} -m scaffold {' '.join(args)} | (exec 0<&-; true)"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "args",
    [("new", "service", "x", "--defaults"), ("--help",), ("patterns", "list"), ("new", "--help")],
)
def test_a_closed_pipe_ends_quietly_with_exit_0(args: tuple[str, ...], tmp_path: Path) -> None:
    result = closed_pipe(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if args[0] == "new" and "service" in args:
        assert (tmp_path / "x" / ".copier-answers.yml").is_file()


def test_a_closed_pipe_keeps_a_failing_exit_code(tmp_path: Path) -> None:
    result = closed_pipe("check", "missing", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
