"""The generated service's two workflows: `ci.yml` runs `mio check`, `mio-update.yml` proposes
template updates as pull requests. Both follow GitHub's published workflow schema, their
scripts pass shellcheck, they install the mio that made the service, and their mio steps do
what they say when run here, on real services and a real trial release (only the step that
talks to GitHub's API, `gh`, cannot run offline)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from croniter import croniter
from trial_history import (
    BASE,
    CHANGED_FILE,
    CHANGED_LINE_OLD,
    NEXT,
    copy_template,
    edit,
    make_v2,
)
from typer.testing import CliRunner

from helpers import ROOT, git, render
from scaffold import __version__
from scaffold.cli.app import app
from scaffold.history import HISTORY_ENV, record_release
from scaffold.lock import uv_binary
from scaffold.resources import TEMPLATE_SOURCE, template_tag

WORKFLOWS = ("ci.yml", "mio-update.yml")
BOT = "41898282+github-actions[bot]@users.noreply.github.com"

runner = CliRunner()


def workflow(project: Path, name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((project / ".github" / "workflows" / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def step(project: Path, name: str, job: str, title: str) -> dict[str, Any]:
    steps = workflow(project, name)["jobs"][job]["steps"]
    found = [s for s in steps if s.get("name") == title]
    assert len(found) == 1, f"{name}: no single step {title!r} in job {job}"
    return found[0]


def schema_check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against one of the schemas it ships (no network)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
    )


# --- The files -----------------------------------------------------------------------------

ANSWER_SETS = [
    {},
    {"messaging": "redis", "resilience": ["retry", "circuit-breaker"], "gateway": "nginx"},
    {"service_name": "a" * 40, "messaging": "nats", "resilience": ["rate-limit", "fallback"]},
]


@pytest.mark.parametrize("answers", ANSWER_SETS, ids=["defaults", "redis", "long-name-nats"])
def test_both_workflows_follow_githubs_workflow_schema(copie: Any, answers: dict[str, Any]) -> None:
    project = render(copie, **answers)
    files = [project / ".github" / "workflows" / name for name in WORKFLOWS]
    # SchemaStore's github-workflows schema, vendored by check-jsonschema; and every job has
    # a timeout (GitHub's default is six hours).
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        result = schema_check(schema, *files)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(copie: Any, tmp_path: Path) -> None:
    text = (render(copie) / ".github" / "workflows" / "mio-update.yml").read_text()
    assert "pull-requests: write" in text
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("pull-requests: write", "pull-request: write"))
    result = schema_check("vendor.github-workflows", broken)
    assert result.returncode == 1 and "pull-request" in result.stdout


def test_every_run_script_passes_shellcheck(copie: Any) -> None:
    project = render(copie)
    shellcheck = Path(sys.executable).with_name("shellcheck")
    scripts = [
        (name, s["name"], s["run"])
        for name in WORKFLOWS
        for job in workflow(project, name)["jobs"].values()
        for s in job["steps"]
        if "run" in s
    ]
    assert len(scripts) >= 8
    for name, title, script in scripts:
        assert "${{" not in script, f"{name} / {title}: pass expressions through env"
        result = subprocess.run(
            [str(shellcheck), "--shell=bash", "-"], input=script, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{name} / {title}:\n{result.stdout}"


def test_the_update_runs_weekly_and_on_demand_with_the_rights_it_needs(copie: Any) -> None:
    update = workflow(render(copie), "mio-update.yml")
    assert set(update["on"]) == {"schedule", "workflow_dispatch"}
    (entry,) = update["on"]["schedule"]
    cron = entry["cron"]
    assert croniter.is_valid(cron), cron
    runs = croniter(cron, croniter(cron).get_next(float))
    first, second = runs.get_next(float), runs.get_next(float)
    assert second - first == 7 * 24 * 3600, f"{cron} does not run once a week"
    assert update["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "write",
    }
    ci = workflow(render(copie), "ci.yml")
    assert ci["permissions"] == {"contents": "read"}
    assert "workflow_dispatch" in ci["on"]  # the update starts it on its branch


def test_the_template_knows_this_mio_release() -> None:
    computed = yaml.safe_load((ROOT / "copier.yml").read_text())
    assert computed["mio_version"]["default"] == __version__, (
        "copier.yml's mio_version must follow scaffold.__version__"
    )
    assert computed["mio_source"]["default"] == TEMPLATE_SOURCE, (
        "copier.yml's mio_source must be TEMPLATE_SOURCE (scaffold/resources.py)"
    )


def test_both_workflows_install_the_mio_that_made_the_service(
    checkout_history: Path, tmp_path: Path
) -> None:
    project = tmp_path / "orders"
    result = runner.invoke(
        app, ["new", "service", "orders", "--defaults", "--no-lock", "-o", str(project)]
    )
    assert result.exit_code == 0, result.output
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    assert recorded == template_tag() == f"v{__version__}"
    pin = f"mio-scaffold @ git+{TEMPLATE_SOURCE}@{recorded}"
    for name in WORKFLOWS:
        assert workflow(project, name)["env"]["MIO_REQUIREMENT"] == pin, name
        install = step(project, name, "template" if name == "ci.yml" else "update", "Install mio")
        assert install["run"] == 'python -m pip install "$MIO_REQUIREMENT"'


# --- Running the mio steps -------------------------------------------------------------------


def trial_history(work: Path) -> Path:
    """BASE (this checkout) and NEXT (tests/trial_history.py's changes), NEXT being the
    release of mio NEXT: its copier.yml says so, as a real release's would."""
    bundle = work / "history.bundle"
    root = copy_template(work / "template-src")
    record_release(root, bundle, BASE)
    make_v2(root)
    edit(root / "copier.yml", f'default: "{__version__}"', f'default: "{NEXT[1:]}"')
    record_release(root, bundle, NEXT)
    return bundle


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trial_history(tmp_path_factory.mktemp("workflow-history"))


@pytest.fixture(scope="module")
def made(history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service made by `mio new` at BASE, locked, with NEXT released after it."""
    project = tmp_path_factory.mktemp("made") / "orders"
    result = runner.invoke(
        app,
        ["new", "service", "orders", "--defaults", "-o", str(project)],
        env={HISTORY_ENV: str(history)},
    )
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def service(made: Path, tmp_path: Path) -> Path:
    """A copy of the made service, pushed to a remote of its own (`origin`)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    project = tmp_path / "orders"
    shutil.copytree(made, project, symlinks=True)
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "origin", "main")
    git(project, "fetch", "--quiet", "origin")
    return project


class Run:
    """One step's script, run as GitHub runs it (`bash --noprofile --norc -eo pipefail`),
    with the workflow's env, the runner's variables and this checkout's mio as `mio`."""

    def __init__(self, project: Path, history: Path, name: str, job: str, title: str) -> None:
        self.project, self.history = project, history
        self.env = workflow(project, name)["env"]
        self.script = step(project, name, job, title)["run"]

    def __call__(self) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        work = self.project.parent / "runner"
        shutil.rmtree(work, ignore_errors=True)
        bin_dir, temp = work / "bin", work / "temp"
        bin_dir.mkdir(parents=True)
        temp.mkdir()
        mio = bin_dir / "mio"
        mio.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scaffold "$@"\n')
        mio.chmod(0o755)
        (work / "script.sh").write_text(self.script)
        output = work / "output"
        output.touch()
        path = os.pathsep.join([str(bin_dir), str(Path(uv_binary()).parent), os.environ["PATH"]])
        env = {
            **os.environ,
            **self.env,
            "PATH": path,
            "PYTHONPATH": str(ROOT),
            HISTORY_ENV: str(self.history),
            "RUNNER_TEMP": str(temp),
            "GITHUB_OUTPUT": str(output),
            # uv fills the updated copy's environment from its lock; one cache for the runs.
            "UV_CACHE_DIR": str(ROOT / ".cache" / "uv"),
            "UV_PYTHON_DOWNLOADS": "never",
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(work / "script.sh")],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        if outputs.get("pushed") == "true":
            outputs["body"] = (temp / "mio-update.md").read_text()
        return result, outputs


def update_step(project: Path, history: Path) -> Run:
    return Run(project, history, "mio-update.yml", "update", "Update on the branch and push it")


def remote_branch(project: Path) -> str:
    return git(project, "ls-remote", "origin", "refs/heads/mio/update").split("\t")[0]


def pin(project: Path, revision: str, name: str) -> str:
    text = git(project, "show", f"{revision}:.github/workflows/{name}")
    found = re.search(r'MIO_REQUIREMENT: "mio-scaffold @ git\+(\S+)@(\S+)"', text)
    assert found, text
    return found.group(2)


@pytest.mark.slow  # the updated copy's tests run in an environment uv makes from its lock
def test_the_update_is_tested_committed_on_its_branch_and_pushed_once(
    service: Path, history: Path
) -> None:
    head = git(service, "rev-parse", "HEAD").strip()
    run = update_step(service, history)

    result, outputs = run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["pushed"] == "true"
    assert outputs["title"] == f"Update orders to template {NEXT}"
    assert f"Template {BASE} -> {NEXT}" in outputs["body"]
    assert "tests on the updated copy: passed" in outputs["body"]
    pushed = remote_branch(service)
    assert git(service, "rev-list", f"{head}..{pushed}").split() == [pushed]  # one commit
    answers = yaml.safe_load(git(service, "show", f"{pushed}:.copier-answers.yml"))
    assert answers["_commit"] == NEXT
    for name in WORKFLOWS:  # the update moved the pin: the next run installs mio NEXT
        assert pin(service, head, name) == BASE
        assert pin(service, pushed, name) == NEXT
    assert git(service, "rev-parse", "HEAD").strip() == head
    assert git(service, "status", "--porcelain") == ""

    git(service, "fetch", "--quiet", "origin")  # the next week: the checkout sees the branch
    again, outputs = run()

    assert again.returncode == 0, again.stdout + again.stderr
    assert "already holds this update" in again.stdout
    assert "pushed" not in outputs
    assert remote_branch(service) == pushed


def test_a_branch_someone_pushed_to_is_left_alone(service: Path, history: Path) -> None:
    git(service, "switch", "--quiet", "-c", "mio/update")
    (service / "NOTES.md").write_text("resolving by hand\n")
    git(service, "add", "NOTES.md")
    git(service, "-c", "user.email=dana@example.org", "commit", "--quiet", "-m", "mine")
    git(service, "push", "--quiet", "origin", "mio/update")
    git(service, "switch", "--quiet", "main")
    git(service, "branch", "--quiet", "-D", "mio/update")
    git(service, "fetch", "--quiet", "origin")
    before = remote_branch(service)

    result, outputs = update_step(service, history)()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "holds commits by dana@example.org: left as it is" in result.stdout
    assert "pushed" not in outputs and remote_branch(service) == before


def test_conflicts_are_proposed_with_their_markers(service: Path, history: Path) -> None:
    edit(service / CHANGED_FILE, CHANGED_LINE_OLD, "Our own words on liveness")
    git(service, "commit", "--quiet", "-am", "our docstring")
    git(service, "push", "--quiet", "origin", "main")

    result, outputs = update_step(service, history)()

    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["title"] == f"Update orders to template {NEXT}: conflicts to resolve"
    resolve = "conflict markers to resolve** (check out this branch, resolve, push)"
    assert f"{resolve}: {CHANGED_FILE}" in outputs["body"]
    pushed = remote_branch(service)
    assert "<<<<<<< before updating" in git(service, "show", f"{pushed}:{CHANGED_FILE}")
    assert git(service, "log", "-1", "--format=%ae", pushed).strip() == BOT
    git(service, "switch", "--quiet", "mio/update")  # its CI's `mio check` fails until resolved
    check = Run(service, history, "ci.yml", "template", "mio check")()[0]
    assert check.returncode == 3, check.stdout + check.stderr


def test_failing_tests_fail_the_job_with_their_log_and_push_nothing(
    service: Path, history: Path
) -> None:
    (service / "tests" / "test_ours.py").write_text(
        'def test_ours() -> None:\n    assert False, "our broken test"\n'
    )
    git(service, "add", "tests/test_ours.py")
    git(service, "commit", "--quiet", "-m", "a broken test")

    result, outputs = update_step(service, history)()

    assert result.returncode == 6, result.stdout + result.stderr
    assert "our broken test" in result.stdout  # the log, printed in the job's output
    assert "::error::the service's tests fail on the updated copy" in result.stdout
    assert "pushed" not in outputs and remote_branch(service) == ""


def test_a_current_service_proposes_nothing(service: Path, history: Path) -> None:
    done = runner.invoke(app, ["update", str(service), "--commit"], env={HISTORY_ENV: str(history)})
    assert done.exit_code == 0, done.output

    result, outputs = update_step(service, history)()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "::notice::up to date: nothing to propose" in result.stdout
    assert "pushed" not in outputs and remote_branch(service) == ""


def test_ci_fails_mio_check_on_markers_but_not_for_being_behind(
    service: Path, history: Path
) -> None:
    shallow = service.parent / "checkout"  # as actions/checkout makes it: one commit deep
    origin = git(service, "remote", "get-url", "origin").strip()
    git(service.parent, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(shallow))
    assert git(shallow, "rev-list", "--count", "HEAD").strip() == "1"
    check = Run(shallow, history, "ci.yml", "template", "mio check")

    behind, _ = check()  # at BASE, with NEXT released

    assert behind.returncode == 0, behind.stdout + behind.stderr
    assert "::notice::behind the newest template" in behind.stdout
    (shallow / "NOTES.md").write_text("<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n")
    git(shallow, "add", "NOTES.md")
    git(shallow, "commit", "--quiet", "-m", "a bad merge")

    conflicted, _ = check()

    assert conflicted.returncode == 3, conflicted.stdout + conflicted.stderr
    assert "NOTES.md" in conflicted.stdout


# --- What the documentation says -------------------------------------------------------------


def fenced(document: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", document.read_text(), flags=re.DOTALL)


def test_the_docs_show_the_update_the_workflow_runs(copie: Any) -> None:
    script = step(render(copie), "mio-update.yml", "update", "Update on the branch and push it")
    lines = script["run"].replace("\\\n", " ").splitlines()
    (command,) = [line.split(" > ")[0] for line in lines if "mio update . --test " in line]
    command = " ".join(command.replace('"$BRANCH"', "mio/update").split())
    assert command in [block.strip() for block in fenced(ROOT / "docs" / "updates.md", "text")]


def test_the_docs_renovate_configuration_follows_renovates_schema(tmp_path: Path) -> None:
    section = (ROOT / "docs" / "updates.md").read_text().split("### With Renovate instead")[1]
    (config,) = re.findall(r"```json\n(.*?)```", section.split("\n## ")[0], flags=re.DOTALL)
    (tmp_path / "renovate.json").write_text(config)
    result = schema_check("vendor.renovate", tmp_path / "renovate.json")
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "renovate.json").write_text('{"copier": {"enabled": "yes"}}')
    assert schema_check("vendor.renovate", tmp_path / "renovate.json").returncode == 1
