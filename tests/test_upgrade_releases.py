"""Services of every earlier template release, updated to the newest one, offline.

For each released version older than the newest in the shipped history, services are
made at that version (as that release's mio made them): with no pattern, and with every
resilience pattern on a broker, the gateways spread over them. The oldest release and
the one before the newest are made with each broker; the releases between, with one
broker each, in turn (`upgrade_cases`). Then:

- an unedited service, updated, is byte for byte a fresh render of the newest version;
- a service with the edits real teams make (a new module and endpoint wired into the app,
  a README section, a dependency, a changed setting default, edits in the files the new
  version moves or drops) loses none of them: each ends in the result, in a listed
  conflict or in a kept or carried file. Its owner then resolves the update as owners
  do (the template's side of each conflict, their own change made again on top, edits
  moved out of kept files into their new homes), and the service passes ruff, ruff
  format and, for three of the combinations from the releases made with every
  combination, its own tests and mypy --strict.

The test needs at least two released versions in the shipped history. Before a release
is recorded, try it against a trial history (:func:`trial_release_bundle`)::

    python scripts/release_template.py --bundle /tmp/trial.bundle --tag v0.2.0
    MIO_TEMPLATE_HISTORY=/tmp/trial.bundle pytest tests/test_upgrade_releases.py
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from trial_history import copy_template

from helpers import assert_ok, git, run_in, run_service_tests
from scaffold.generate import create_service
from scaffold.history import record_release, released_versions
from scaffold.lock import LOCK_FILE, lock_dependencies
from scaffold.project import has_markers
from scaffold.resources import HISTORY_BUNDLE
from scaffold.update import UpdateReport, update_service
from scaffold.versions import parse_version

pytestmark = pytest.mark.long_file  # takes minutes: scheduled first (conftest.py)

SERVICE = "orders"
PACKAGE = "src/orders"
ALL_RESILIENCE = ["retry", "circuit-breaker", "bulkhead", "rate-limit", "fallback"]
#: Each broker with every resilience pattern; the gateways spread over them.
BROKER_GATEWAYS = {
    "memory": "traefik",
    "redis": "nginx",
    "rabbitmq": "envoy",
    "nats": "traefik",
    "kafka": "nginx",
}
COMBINATIONS: dict[str, dict[str, Any]] = {
    "plain": {},
    **{
        f"{broker}-all-{gateway}": {
            "messaging": broker,
            "resilience": ALL_RESILIENCE,
            "gateway": gateway,
        }
        for broker, gateway in BROKER_GATEWAYS.items()
    },
}
#: Edited services that also run their own tests and mypy (each costs 20-40 s), from the
#: releases made with every combination.
FULLY_CHECKED = {"plain", "redis-all-nginx", "rabbitmq-all-envoy"}
#: The generated tests run on FastStream's in-memory broker: no real broker needed.
SERVICE_ENV = {"ORDERS_BROKER_URL": "memory://"}
#: The lines of an inline conflict: ours, the base (diff3 style only), theirs.
CONFLICT_START = "<<<<<<< "
CONFLICT_BASE = "||||||| "
CONFLICT_SPLIT = "======="
CONFLICT_END = ">>>>>>> "


def trial_release_bundle(work: Path, tag: str) -> Path:
    """The shipped history plus this checkout's template recorded as ``tag``.

    For trying this test before the release is recorded: point ``MIO_TEMPLATE_HISTORY``
    at the result (``scripts/release_template.py --bundle PATH --tag TAG`` does the same).
    """
    bundle = work / "trial.bundle"
    shutil.copy2(HISTORY_BUNDLE, bundle)
    record_release(copy_template(work / "template-src"), bundle, tag)
    return bundle


#: Every released version but the newest; a placeholder that fails when there is none.
EARLIER = released_versions()[:-1] or ["no-earlier-release"]
#: Made with every combination: the oldest release (the longest way, every change of the
#: history at once) and the one before the newest (the step every current service takes).
EVERY_COMBINATION = {EARLIER[0], EARLIER[-1]}


def upgrade_cases() -> list[tuple[str, str]]:
    """(release, combination) pairs: every combination from the releases of
    EVERY_COMBINATION; from each release between, no pattern and one broker, the brokers
    taken in turn, so every earlier release is updated and every broker from several."""
    brokers = sorted(name for name in COMBINATIONS if name != "plain")
    cases = []
    for index, old in enumerate(EARLIER):  # a release keeps its index as others are added
        if old in EVERY_COMBINATION:
            cases += [(old, combination) for combination in sorted(COMBINATIONS)]
        else:  # the first release between (index 1) takes the first broker
            cases += [(old, "plain"), (old, brokers[(index - 1) % len(brokers)])]
    return cases


@pytest.fixture(scope="module")
def newest() -> str:
    versions = released_versions()
    if len(versions) < 2:
        pytest.fail(
            f"the template history holds only {versions}: the new template release is not"
            " recorded yet (bump scaffold/__version__, run scripts/release_template.py)",
            pytrace=False,
        )
    return versions[-1]


def made_at(version: str, answers: dict[str, Any], destination: Path) -> Path:
    """A service as the mio of ``version`` made it (mio locks dependencies since 0.2.0)."""
    lock = parse_version(version) >= parse_version("0.2.0")
    service = create_service(
        {"service_name": SERVICE, **answers}, destination, version=version, lock=lock
    )
    return service.path


def contents(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under ``root`` but git's own: its bytes and whether it is executable."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git" or path.is_dir():
            continue
        found[str(relative)] = (path.read_bytes(), os.access(path, os.X_OK))
    return found


def commit(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


@pytest.mark.parametrize(("old", "combination"), upgrade_cases())
def test_an_unedited_service_ends_as_a_fresh_render(
    old: str, combination: str, newest: str, tmp_path: Path
) -> None:
    answers = COMBINATIONS[combination]
    service = made_at(old, answers, tmp_path / "updated" / SERVICE)
    fresh = create_service(
        {"service_name": SERVICE, **answers}, tmp_path / "fresh" / SERVICE, version=newest
    ).path

    report = update_service(service)

    assert (report.from_version, report.to_version) == (old, newest)
    assert report.conflicts == [] and report.exit_code == 0
    assert report.kept == [] and report.carried == [], "an unedited file counted as edited"
    ours, theirs = contents(service), contents(fresh)
    assert sorted(ours) == sorted(theirs)
    different = [name for name in theirs if ours[name] != theirs[name]]
    assert different == [], "\n".join(
        _diff(name, ours[name][0], theirs[name][0]) for name in different
    )


def _diff(name: str, ours: bytes, theirs: bytes) -> str:
    lines = difflib.unified_diff(
        theirs.decode(errors="replace").splitlines(),
        ours.decode(errors="replace").splitlines(),
        f"fresh/{name}",
        f"updated/{name}",
        lineterm="",
    )
    return "\n".join(list(lines)[:40])


# --- The owner's edits ------------------------------------------------------------------

REPORTS_MODULE = '''\
"""Daily figures for the finance team (owner-edit:reports-module)."""

from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/daily")
async def daily_report() -> dict[str, int]:
    """The orders of the day so far."""
    return {"orders": 0}
'''
REPORTS_TEST = '''\
from fastapi.testclient import TestClient


def test_the_daily_report_is_served(client: TestClient) -> None:
    """owner-edit:reports-test"""
    response = client.get("/reports/daily")
    assert response.status_code == 200
    assert response.json() == {"orders": 0}
'''
WIRING_IMPORT = "from .reports import router as reports_router  # owner-edit:wiring-import"
README_SECTION = (
    "\n## Runbook\n\nPage the orders on-call team before restarting (owner-edit:readme-section).\n"
)
DEPENDENCY = [
    "    # owner-edit:dependency: dates in the daily report",
    '    "python-dateutil>=2.9",',
]
SETTING = "max_body_bytes"
SETTING_COMMENT = "    # owner-edit:setting-default: uploads of up to 4 MiB"
SETTING_DEFAULT = "4_194_304"


@dataclass(frozen=True)
class Edit:
    """One owner edit: where it goes and how to make it (again) in any version's file."""

    marker: str
    path: str
    make: Callable[[str], str]


def _wire_reports(text: str) -> str:
    """Import the reports router (in import order) and include it after the last router."""
    lines = text.splitlines(keepends=True)
    if "owner-edit:wiring-import" not in text:
        relative = [i for i, line in enumerate(lines) if line.startswith("from .")]
        assert relative, "app.py has no relative imports"
        later = [i for i in relative if _module(lines[i]) > "reports"]
        at = later[0] if later else _statement_end(lines, relative[-1]) + 1
        lines.insert(at, WIRING_IMPORT + "\n")
    if "owner-edit:wiring-include" not in "".join(lines):
        calls = [i for i, line in enumerate(lines) if re.match(r"\s+\w+\.include_router\(", line)]
        assert calls, "app.py includes no router"
        last = calls[-1]
        call = re.match(r"(\s+)(\w+)\.", lines[last])
        assert call is not None
        indent, app = call.groups()
        include = f"{indent}{app}.include_router(reports_router)  # owner-edit:wiring-include\n"
        lines.insert(_statement_end(lines, last) + 1, include)
    return "".join(lines)


def _module(import_line: str) -> str:
    return import_line.split()[1].lstrip(".")


def _statement_end(lines: list[str], start: int) -> int:
    """The last line of the statement starting at ``start`` (brackets balanced)."""
    depth, index = 0, start
    while True:
        depth += sum(lines[index].count(c) for c in "([{") - sum(
            lines[index].count(c) for c in ")]}"
        )
        if depth <= 0:
            return index
        index += 1


def _add_dependency(text: str) -> str:
    lines = text.splitlines()
    if all(line in lines for line in DEPENDENCY):
        return text
    lines = [line for line in lines if line not in DEPENDENCY]
    start = lines.index("dependencies = [")
    end = lines.index("]", start)
    lines[end:end] = DEPENDENCY
    return "\n".join(lines) + "\n"


def _change_setting_default(text: str) -> str:
    field = re.compile(rf"^    {SETTING}: \w+ = Field\(\s*default=([\d._]+)", re.MULTILINE)
    match = field.search(text)
    assert match, f"settings.py has no {SETTING} with a numeric default"
    start, end = match.span(1)
    edited = text[:start] + SETTING_DEFAULT + text[end:]
    if SETTING_COMMENT in edited:
        return edited
    at = match.start()
    return edited[:at] + SETTING_COMMENT + "\n" + edited[at:]


def _append(snippet: str) -> Callable[[str], str]:
    return lambda text: text if snippet.strip() in text else text.rstrip("\n") + "\n" + snippet


def _note(old_path: str) -> str:
    """A small, self-contained addition to a module the new version moves or drops."""
    stem = Path(old_path).stem.upper()
    return f'\n\n# owner-edit:{old_path}\nOWNER_NOTE_{stem} = "kept by its owner"\n'


def owner_edits(moved_or_dropped: list[str]) -> list[Edit]:
    edits = [
        Edit("owner-edit:reports-module", f"{PACKAGE}/reports.py", lambda _: REPORTS_MODULE),
        Edit("owner-edit:reports-test", "tests/test_reports.py", lambda _: REPORTS_TEST),
        Edit("owner-edit:wiring-import", f"{PACKAGE}/app.py", _wire_reports),
        Edit("owner-edit:wiring-include", f"{PACKAGE}/app.py", _wire_reports),
        Edit("owner-edit:readme-section", "README.md", _append(README_SECTION)),
        Edit("owner-edit:dependency", "pyproject.toml", _add_dependency),
        Edit(DEPENDENCY[1].strip(" ,"), "pyproject.toml", _add_dependency),
        Edit("owner-edit:setting-default", f"{PACKAGE}/settings.py", _change_setting_default),
        Edit(f"default={SETTING_DEFAULT}", f"{PACKAGE}/settings.py", _change_setting_default),
    ]
    edits += [Edit(f"owner-edit:{name}", name, _append(_note(name))) for name in moved_or_dropped]
    return edits


def make_edits(service: Path, edits: list[Edit]) -> None:
    for edit in edits:
        path = service / edit.path
        text = path.read_text() if path.exists() else ""
        path.write_text(edit.make(text))


def files_with(root: Path, text: str) -> list[str]:
    return [
        name
        for name, (data, _) in contents(root).items()
        if text.encode() in data and not name.endswith(".lock")
    ]


# --- The owner's resolution -------------------------------------------------------------


def take_template_side(path: Path) -> None:
    """Replace each conflict by the new template's side (the owner's change comes later)."""
    kept: list[str] = []
    part = None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith(CONFLICT_START):
            part = "ours"
        elif part is not None and line.startswith(CONFLICT_BASE):
            part = "base"
        elif part is not None and line.rstrip("\n") == CONFLICT_SPLIT:
            part = "theirs"
        elif part is not None and line.startswith(CONFLICT_END):
            part = None
        elif part in (None, "theirs"):
            kept.append(line)
    path.write_text("".join(kept))


def new_home(service: Path, old_path: str, old_text: str) -> str:
    """Where the content of a kept module lives in the new layout.

    A module of the same name, else the router of a package of that name, else the most
    alike module (never a package's `__init__.py`).
    """
    package = service / PACKAGE
    modules = [
        p
        for p in package.rglob("*.py")
        if p.name != "__init__.py" and str(p.relative_to(service)) != old_path
    ]
    name = Path(old_path).name
    router = package / Path(old_path).stem / "router.py"
    candidates = [p for p in modules if p.name == name] or ([router] if router.exists() else [])
    best = max(
        candidates or modules,
        key=lambda p: difflib.SequenceMatcher(None, old_text, p.read_text()).ratio(),
    )
    return str(best.relative_to(service))


def resolve_as_an_owner(service: Path, report: UpdateReport, edits: list[Edit]) -> None:
    for name in report.conflicts:
        take_template_side(service / name)
    by_path = {edit.path: edit for edit in edits}
    for old_path in report.kept:
        edit = by_path.get(old_path)
        kept = service / old_path
        if edit is None or not old_path.endswith(".py"):
            continue  # not a module: the owner keeps the file
        text = kept.read_text()
        home = new_home(service, old_path, text)
        home_file = service / home
        home_file.write_text(edit.make(home_file.read_text()))
        kept.unlink()
    for old_path, new_path in report.carried:
        edit = by_path.get(old_path)
        if edit is not None:
            target = service / new_path
            target.write_text(edit.make(target.read_text()))
    for edit in edits:  # made again where the template's side replaced them
        path = service / edit.path
        if path.exists():
            path.write_text(edit.make(path.read_text()))


@pytest.mark.parametrize(("old", "combination"), upgrade_cases())
def test_owner_edits_survive_the_upgrade_and_the_service_passes_its_checks(
    old: str, combination: str, newest: str, tmp_path: Path, service_python: Path
) -> None:
    answers = COMBINATIONS[combination]
    service = made_at(old, answers, tmp_path / "edited" / SERVICE)
    fresh = create_service(
        {"service_name": SERVICE, **answers},
        tmp_path / "fresh" / SERVICE,
        version=newest,
        lock=False,
        git_init=False,
    ).path
    moved_or_dropped = sorted(
        name
        for name in set(contents(service)) - set(contents(fresh))
        if name.startswith(PACKAGE) and name.endswith(".py")
    )
    edits = owner_edits(moved_or_dropped)
    make_edits(service, edits)
    if (service / LOCK_FILE).exists():  # as an owner does after adding a dependency
        lock_dependencies(service)
    commit(service, "owner edits")

    report = update_service(service)

    assert report.to_version == newest
    assert report.exit_code == (3 if report.conflicts else 0)
    answers_file = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers_file["_commit"] == newest
    # Every file holding markers is listed: an edit found anywhere is in the result,
    # in a listed conflict, or in a kept or carried file.
    assert with_markers(service) == sorted(report.conflicts), report
    assert not list(service.rglob("*.rej")), "Copier left rejected hunks"
    lost = [edit.marker for edit in edits if not files_with(service, edit.marker)]
    assert lost == [], f"owner edits lost by the update: {lost}\n{report}"
    assert all((service / name).is_file() for name in report.kept)
    assert all((service / new).is_file() for _, new in report.carried)

    resolve_as_an_owner(service, report, edits)
    if report.lock_pending:  # as the report asks, once pyproject.toml is resolved
        lock_dependencies(service)

    assert with_markers(service) == []
    assert "python-dateutil" in (service / LOCK_FILE).read_text(), "the lock lacks the owner's"
    missing = [edit.marker for edit in edits if not files_with(service, edit.marker)]
    assert missing == [], f"edits missing after the owner's resolution: {missing}"
    assert_ok(run_in(service_python, service, "ruff", "check", "."))
    assert_ok(run_in(service_python, service, "ruff", "format", "--check", "."))
    if combination in FULLY_CHECKED and old in EVERY_COMBINATION:
        with ThreadPoolExecutor(max_workers=2) as pool:  # mypy and the tests side by side
            mypy = pool.submit(run_in, service_python, service, "mypy", env=SERVICE_ENV)
            tests = pool.submit(run_service_tests, service_python, service, "-rA", env=SERVICE_ENV)
        assert_ok(mypy.result())
        assert_ok(tests.result())
        assert (
            "PASSED tests/test_reports.py::test_the_daily_report_is_served" in tests.result().stdout
        )


def with_markers(root: Path) -> list[str]:
    return [name for name in contents(root) if has_markers(root / name)]
