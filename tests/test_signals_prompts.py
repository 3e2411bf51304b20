"""Whatever the user presses: Ctrl-C or Ctrl-D at a prompt, a bad answer typed at one,
SIGTERM or SIGKILL midway. One line, exit 130 (143 for SIGTERM), nothing half-made left;
a staging folder left by a killed run is never taken for a service, and the next run in
that parent removes it. Prompts run in a pseudo-terminal (pexpect)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
from trial_history import BASE, copy_template
from typer.testing import CliRunner

from helpers import tree
from scaffold.cli.app import app
from scaffold.generate import remove_abandoned_staging
from scaffold.history import HISTORY_ENV, record_release

MIO = [sys.executable, "-m", "scaffold"]
#: Control keys as a terminal sends them.
CTRL_C, CTRL_D, CTRL_U = "\x03", "\x04", "\x15"


@pytest.fixture(scope="module")
def checkout_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's copier.yml and template/ as the current release, for the prompts."""
    work = tmp_path_factory.mktemp("history")
    bundle = work / "history.bundle"
    record_release(copy_template(work / "src"), bundle, BASE)
    return bundle


def prompt_session(cwd: Path, history: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", HISTORY_ENV: str(history)}
    return pexpect.spawn(
        MIO[0],
        [*MIO[1:], "new", "service", "orders", *args],
        cwd=str(cwd),
        env=env,
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=60,
    )


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


DESCRIPTION_PROMPT = "One sentence on what the service does"
OWNER_PROMPT = "Owning team or person"


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D])
def test_ctrl_c_or_ctrl_d_at_a_prompt(tmp_path: Path, checkout_history: Path, key: str) -> None:
    child = prompt_session(tmp_path, checkout_history)
    child.expect(DESCRIPTION_PROMPT)
    child.send(CTRL_U + key)  # Ctrl-D ends input only on an empty line, as in a shell
    status, output = finish(child)
    assert status == 130, output
    assert "Interrupted; nothing was left half-made." in output
    assert "AnswersMap" not in output and "Interactive session required" not in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_a_bad_answer_is_asked_again_at_its_own_prompt(
    tmp_path: Path, checkout_history: Path
) -> None:
    child = prompt_session(tmp_path, checkout_history)
    child.expect(DESCRIPTION_PROMPT)
    child.send(CTRL_U + "x" * 205 + "\r")
    child.expect("description must be one line of printable text, at most 200 characters")
    child.send(CTRL_U + "Takes orders.\r")
    child.expect(OWNER_PROMPT)  # accepted only now, before any later question
    child.send(CTRL_C)
    status, _ = finish(child)
    assert status == 130
    assert list(tmp_path.iterdir()) == []


def test_prompts_to_the_end_create_the_service(tmp_path: Path, checkout_history: Path) -> None:
    child = prompt_session(tmp_path, checkout_history)
    child.expect(DESCRIPTION_PROMPT)
    child.send(CTRL_U + "Takes orders: fast.\r")
    child.expect(OWNER_PROMPT)
    child.send("\r")
    for question in ("HTTP port", "API gateway", "Message broker", "Resilience policies"):
        child.expect(question)
        child.send("\r")
    status, output = finish(child)
    assert status == 0, output
    assert "Created service orders" in output
    assert (
        'description: "Takes orders: fast."'
        in (tmp_path / "orders/.copier-answers.yml").read_text()
    )


def mio_new(cwd: Path, name: str = "orders") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MIO, "new", "service", name, "--defaults"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9])
def test_sigterm_midway_is_like_ctrl_c(tmp_path: Path, delay: float) -> None:
    process = mio_new(tmp_path)
    time.sleep(delay)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:  # finished before the signal: then it must be complete
        assert (tmp_path / "orders" / "pyproject.toml").is_file()
        return
    assert process.returncode == 143, err
    assert err.strip() == "Terminated; nothing was left half-made.", err
    left = list(tmp_path.iterdir())
    assert left in ([], [tmp_path / "orders"]), left


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def abandoned_staging(parent: Path, service: Path) -> Path:
    """What SIGKILL leaves: a staging folder holding a half-made (here, whole) service."""
    staging = parent / f".mio-new-{dead_pid()}-k1ll3d"
    shutil.copytree(service, staging / "orders", symlinks=True)
    return staging


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("made")
    subprocess.run([*MIO, "new", "service", "orders", "--defaults"], cwd=work, check=True)
    return work / "orders"


def test_sigkill_leaves_a_staging_folder_the_next_run_removes(tmp_path: Path) -> None:
    process = mio_new(tmp_path)
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".mio-new-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)
    process.kill()
    process.wait()
    assert any(p.name.startswith(".mio-new-") for p in tmp_path.iterdir())

    subprocess.run([*MIO, "new", "service", "billing", "--defaults"], cwd=tmp_path, check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["billing"]


def test_a_staging_folder_is_never_a_service(
    tmp_path: Path, made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "services"
    shutil.copytree(made, services / "orders", symlinks=True)
    staging = abandoned_staging(services, made)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    built = runner.invoke(app, ["gateway", "build", "services", "--engine", "nginx", "-o", "gw"])
    assert built.exit_code == 0, built.output  # no duplicate prefix from the staging copy
    assert "for 1 services" in built.output

    check = runner.invoke(app, ["check", str(staging / "orders")])
    assert check.exit_code == 1 and "not a service" in check.output
    update = runner.invoke(app, ["update", str(staging / "orders")])
    assert update.exit_code == 2 and "not a service" in update.output


def test_only_abandoned_staging_folders_are_removed(tmp_path: Path, made: Path) -> None:
    abandoned = abandoned_staging(tmp_path, made)
    alive = tmp_path / f".mio-new-{os.getpid()}-running"
    alive.mkdir()
    other = tmp_path / f".mio-new-{os.getppid()}-running"
    other.mkdir()
    assert remove_abandoned_staging(tmp_path) == [abandoned]
    assert tree(tmp_path) == {alive.name, other.name}
