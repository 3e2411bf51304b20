"""What `mio update` tells a person and CI about many services: a line per service as it
finishes, a closing summary naming those needing attention, `--json`, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_update_monorepo import clash, commit_all, make_repo, version
from tiny_history import ADDED, CHANGED, DROPPED, NEW, OLD
from typer.testing import CliRunner

from helpers import git
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV

runner = CliRunner()


@pytest.fixture
def fleet(bundle: Path, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of four services: `ok`, `same` (already updated, committed), `clash`
    (an edit on a line the template changes) and `dirty` (an untracked file)."""
    repo = tmp_path / "mono"
    *_, clashing, dirty = make_repo(repo, rendered, ["ok", "same", "clash", "dirty"])
    clash(clashing)
    commit_all(repo)
    monkeypatch.setenv(HISTORY_ENV, str(bundle))
    monkeypatch.chdir(repo)
    assert runner.invoke(app, ["update", "services/same"]).exit_code == 0
    commit_all(repo, "update same")
    (dirty / "wip.txt").write_text("mine\n")
    return repo


def test_a_line_per_service_and_a_summary_naming_who_needs_attention(fleet: Path) -> None:
    result = runner.invoke(
        app, ["update", "services/ok", "services/same", "services/clash", "services/dirty"]
    )

    assert result.exit_code == 2, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert sorted(line.split("] ", 1)[1].split(":")[0] for line in progress) == [
        "services/clash",
        "services/dirty",
        "services/ok",
        "services/same",
    ]
    assert [line.split("]")[0] for line in progress] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    summary = result.stdout.split("update: 4 services, 1 not updated, 1 with conflicts\n", 1)[1]
    assert summary.splitlines() == [
        "needs attention:",
        f"  services/clash: conflict markers in {CHANGED}",
        "  services/dirty: refused: the service's folder has uncommitted changes or untracked"
        " files; an update needs it clean so you can review its diff",
    ]


def test_json_gives_versions_and_files_per_service(fleet: Path) -> None:
    result = runner.invoke(
        app,
        ["update", "--json", "services/ok", "services/same", "services/clash", "services/dirty"],
    )

    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2
    found = {Path(item["path"]).name: item for item in document["services"]}
    assert {name: item["status"] for name, item in found.items()} == {
        "ok": "updated",
        "same": "up to date",
        "clash": "conflicts",
        "dirty": "refused",
    }
    ok = found["ok"]
    assert (ok["from_version"], ok["to_version"]) == (OLD, NEW)
    assert ok["updated"] == [CHANGED] and ok["added"] == [ADDED] and ok["removed"] == [DROPPED]
    assert ok["carried"] == [] and ok["kept"] == [] and ok["conflicted"] == []
    assert found["clash"]["conflicted"] == [CHANGED] and found["clash"]["exit_code"] == 3
    assert (found["same"]["from_version"], found["same"]["to_version"]) == (NEW, NEW)
    assert "uncommitted changes" in found["dirty"]["error"] and "to_version" not in found["dirty"]


def test_a_dry_run_never_says_to_resolve_markers(fleet: Path) -> None:
    result = runner.invoke(app, ["update", "--dry-run", "services/ok", "services/clash"])

    assert result.exit_code == 3, result.output
    assert "resolve the" not in result.output
    assert "nothing was written; the update would leave conflict markers" in result.output
    assert "(dry run: nothing was written)" in result.output  # the service without conflicts
    assert git(fleet, "status", "--porcelain") == "?? services/dirty/wip.txt\n"
    assert version(fleet / "services" / "ok") == OLD


def test_ctrl_c_lists_what_was_applied_rolled_back_and_not_started(
    bundle: Path, rendered: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "mono"
    services = make_repo(repo, rendered, [f"svc{i:02d}" for i in range(20)])
    run = subprocess.Popen(
        [sys.executable, "-m", "scaffold", "update", *(f"services/{s.name}" for s in services)],
        cwd=repo,
        env={**os.environ, HISTORY_ENV: str(bundle)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C reaches the whole process group, workers too
    )
    assert run.stderr is not None
    first = run.stderr.readline()
    assert first.startswith("[1/20]"), first
    os.killpg(run.pid, signal.SIGINT)
    stdout, rest = run.communicate(timeout=120)
    stderr = first + rest

    assert run.returncode == 130, stderr
    groups = {}
    for line in stderr.split("stopped before the end:\n", 1)[1].splitlines()[:3]:
        label, names = line.strip().split(": ", 1)
        groups[label] = [] if names == "(none)" else names.split(", ")
    assert set(groups) == {"applied", "rolled back", "not started"}
    assert groups["not started"], stderr  # twenty services on a few workers
    assert sorted(name for names in groups.values() for name in names) == [
        f"services/{s.name}" for s in services
    ]
    for name in groups["applied"]:
        assert version(repo / name) == NEW and f"{name}: updated" in stdout
    for name in groups["rolled back"] + groups["not started"]:
        assert version(repo / name) == OLD
        assert git(repo, "status", "--porcelain", "--", name) == ""
    assert "Interrupted; nothing was left half-made." in stderr


def test_a_progress_bar_when_stderr_is_a_terminal(fleet: Path) -> None:
    import pty

    terminal, stderr = pty.openpty()
    run = subprocess.run(
        [sys.executable, "-m", "scaffold", "update", "services/ok", "services/same"],
        cwd=fleet,
        env={**os.environ, "COLUMNS": "120"},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=300,
    )
    os.close(stderr)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the other end is closed and drained
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)

    assert run.returncode == 0, shown.decode()
    screen = shown.decode()
    assert "100%" in screen and "update" in screen  # rich's bar, labelled
    assert "services/ok: updated v0.1.0 -> v0.2.0" in screen
    assert "[1/2]" not in screen  # the plain lines are for logs
    assert "update: 2 services, 0 not updated, 0 with conflicts" in run.stdout
