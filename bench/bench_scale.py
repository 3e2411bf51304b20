"""Updates at scale: `mio update` of 10, 30 and 100 services against a loop of raw
`copier update` on the same services, in one run, in two layouts:

- "repos": each service is a git repository of its own;
- "monorepo": one git repository holding every service in a folder of its own.

The bench makes its own trial release: a template history holding this checkout's
template as the current version and, after it, the same template with one line changed.
Every service is a copy of one generated service, so every update does the same work.

The baseline is Copier's own `run_update`, called in a loop in one process (Copier
imported once), with git redirected to the same history: what a script looping over a
fleet with Copier would do. mio runs as one `mio update PATH...` command. Both start from
fresh copies of the services.

mio's parallelism (scaffold/batch.py): one process per service, `cpu_count + 1` worker
processes at most, forked; each runs the whole update of one service. The cores figure
runs the same 30-service update pinned to one core (`taskset`), with the same pool size.

Single runs on a shared machine: the services of one run give a median for the loop
(each service is timed), mio's figure is the run's wall time divided by the services.
BENCH_SCALE_SIZES (default 10,30,100) and BENCH_SCALE_CORES_AT (default 30) set the sizes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from trial_history import (  # noqa: E402
    BASE,
    CHANGED_FILE,
    CHANGED_LINE_NEW,
    CHANGED_LINE_OLD,
    NEXT,
    PACKAGE,
    copy_template,
    edit,
)

from _harness import git_identity  # noqa: E402
from scaffold.history import HISTORY_ENV, record_release, redirect_env  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SCALE_SIZES", "10,30,100").split(","))
CORES_AT = int(os.environ.get("BENCH_SCALE_CORES_AT", "30"))

#: The baseline: Copier's run_update over each path in turn, each one timed.
_COPIER_LOOP = """
import json, sys, time
from copier import run_update
times, failures = [], []
for path in sys.argv[2:]:
    started = time.perf_counter()
    try:
        run_update(dst_path=path, vcs_ref=sys.argv[1], defaults=True, overwrite=True,
                   quiet=True, unsafe=False, conflict="inline")
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
    times.append(time.perf_counter() - started)
print(json.dumps({"times": times, "failures": failures}))
"""


def _history(work: Path) -> Path:
    root = copy_template(work / "template-src")
    bundle = work / "history.bundle"
    record_release(root, bundle, BASE)
    edit(root / "template" / PACKAGE / "web" / "health.py", CHANGED_LINE_OLD, CHANGED_LINE_NEW)
    record_release(root, bundle, NEXT)
    return bundle


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repos(pristine: Path, where: Path, count: int) -> list[Path]:
    paths = [where / f"svc-{index:03d}" for index in range(count)]
    for path in paths:
        shutil.copytree(pristine, path, symlinks=True)
    return paths


def _monorepo(pristine: Path, where: Path, count: int) -> list[Path]:
    where.mkdir(parents=True)
    _git(where, "init", "-q", "-b", "main")
    paths = [where / "services" / f"svc-{index:03d}" for index in range(count)]
    for path in paths:
        shutil.copytree(pristine, path, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    _git(where, "add", "--all")
    _git(where, "commit", "-qm", "Import services")
    return paths


LAYOUTS = {"repos": _repos, "monorepo": _monorepo}


def main() -> str:
    import json

    from scaffold.generate import create_service

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        git_identity(work)
        bundle = _history(work)
        os.environ[HISTORY_ENV] = str(bundle)
        pristine = create_service({"service_name": "orders"}, work / "pristine").path
        del os.environ[HISTORY_ENV]
        base_env = {**os.environ, "GIT_ALLOW_PROTOCOL": "file"}
        mio_env = {**base_env, HISTORY_ENV: str(bundle)}
        copier_env = {**base_env, **redirect_env(bundle)}
        runs = 0

        def fresh(layout: str, count: int) -> list[Path]:
            nonlocal runs
            shutil.rmtree(work / f"run-{runs}", ignore_errors=True)  # the last run's copies
            runs += 1
            return LAYOUTS[layout](pristine, work / f"run-{runs}" / layout, count)

        def mio(paths: list[Path], pin: bool = False) -> tuple[float, str]:
            argv = [sys.executable, "-m", "scaffold", "update", *map(str, paths)]
            if pin:
                argv = ["taskset", "-c", "0", *argv]
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=work, env=mio_env, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            last = (done.stdout.strip().splitlines() or [""])[-1]
            return elapsed, "" if done.returncode == 0 else f"exit {done.returncode}: {last}"

        def copier(paths: list[Path]) -> tuple[float, list[float], list[str]]:
            argv = [sys.executable, "-c", _COPIER_LOOP, NEXT, *map(str, paths)]
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=work, env=copier_env, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            result = json.loads(done.stdout.strip().splitlines()[-1])
            return elapsed, result["times"], result["failures"]

        def not_updated(paths: list[Path]) -> int:
            health = Path(CHANGED_FILE)
            return sum(CHANGED_LINE_NEW not in (path / health).read_text() for path in paths)

        rows = []
        for layout in LAYOUTS:
            for count in SIZES:
                paths = fresh(layout, count)
                raw_wall, raw_each, raw_failed = copier(paths)
                if missed := not_updated(paths):
                    raw_failed.append(f"{missed} services without the new line")
                paths = fresh(layout, count)
                mio_wall, mio_failed = mio(paths)
                if missed := not_updated(paths):
                    mio_failed += f" {missed} services without the new line"
                rows.append((layout, count, raw_wall, raw_each, raw_failed, mio_wall, mio_failed))
                print(f"  {rows[-1][:3]} {rows[-1][4][:1]} {rows[-1][5:]}", flush=True)
        two_cores, _ = mio(fresh("repos", CORES_AT))
        one_core, _ = mio(fresh("repos", CORES_AT), pin=True)
        shutil.rmtree(work, ignore_errors=True)

    return _section(rows, one_core, two_cores)


def _section(rows: list[tuple], one_core: float, two_cores: float) -> str:  # type: ignore[type-arg]
    lines = [
        "## Updates at scale",
        "",
        f"`mio update` of many services ({BASE} -> {NEXT}, one changed line, a trial release"
        " made by the bench) against Copier's `run_update` called in a loop in one process on"
        " the same services, one run each on this shared machine. Layouts: *repos*, one git"
        " repository per service; *monorepo*, one repository with a folder per service."
        " Per service: the loop's median (min-max) over its services; mio's wall time over"
        " the services (it updates them in parallel processes, one per service, at most"
        f" cores + 1 at a time: {os.cpu_count()} cores here).",
        "",
        "| layout | services | copier loop, total | copier, per service | mio update, total"
        " | mio, per service | mio / copier | failures |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for layout, count, raw_wall, raw_each, raw_failed, mio_wall, mio_failed in rows:
        per = f"{statistics.median(raw_each):.2f} s ({min(raw_each):.2f}-{max(raw_each):.2f})"
        failures = []
        if raw_failed:
            failures.append(f"copier: {len(raw_failed)} of {count} ({raw_failed[0]})")
        if mio_failed:
            failures.append(f"mio: {mio_failed}")
        lines.append(
            f"| {layout} | {count} | {raw_wall:.1f} s | {per} | {mio_wall:.1f} s"
            f" | {mio_wall / count:.2f} s | {mio_wall / raw_wall:.2f} | {'; '.join(failures) or 'none'} |"
        )
    lines += [
        "",
        f"Cores: {CORES_AT} services (repos) took {two_cores:.1f} s on {os.cpu_count()} cores and"
        f" {one_core:.1f} s pinned to one core ({one_core / two_cores:.2f}x).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
