"""Updates: `mio update` of a generated service against a raw `copier update` of the same
change, in the same run, and the wall time of a twenty-service `mio update`.

Both tools run as commands, with the template history as mio ships it (a git bundle)
and git redirected to it for the recorded source, so neither touches the network.
Two changes are measured:

- "line": the next version changes one line (the common case);
- "drop + rename": it also renames a file, drops one and adds one;
- "drop + rename, edited": the same, on a service whose owner edited the dropped file.
  Copier deletes the edited file; mio renders the old version once more to find the
  edit, and keeps the file. (Unedited plain files are recognised without rendering.)

Each round runs every variant once, alternately, on a fresh copy of the same service,
so drift in the machine hits all of them alike. Target: ratio <= 1.1.
Prints a markdown section (BENCH_ROUNDS rounds, default 8; BENCH_FLEET_ROUNDS, default 3).
On a busy machine single runs vary a lot: the table also gives the ratio of the fastest runs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from trial_history import (  # noqa: E402
    BASE,
    CHANGED_LINE_NEW,
    CHANGED_LINE_OLD,
    DROPPED,
    NEXT,
    PACKAGE,
    copy_template,
    edit,
    make_v2,
)

from _harness import git_identity, paired_ratio  # noqa: E402
from scaffold.generate import create_service  # noqa: E402
from scaffold.history import HISTORY_ENV, record_release, redirect_env  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))
FLEET_ROUNDS = int(os.environ.get("BENCH_FLEET_ROUNDS", "3"))
FLEET = 20
TARGET_RATIO = 1.1


def _history(work: Path, name: str, change: Callable[[Path], None]) -> Path:
    root = copy_template(work / f"{name}-src")
    bundle = work / f"{name}.bundle"
    record_release(root, bundle, BASE)
    change(root)
    record_release(root, bundle, NEXT)
    return bundle


def _line_change(root: Path) -> None:
    edit(root / "template" / PACKAGE / "web" / "health.py", CHANGED_LINE_OLD, CHANGED_LINE_NEW)


def _run(argv: list[str | Path], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{argv} failed:\n{result.stdout}\n{result.stderr}")


def _median_cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        work = Path(tmp)
        git_identity(work)
        base_env = {key: value for key, value in os.environ.items() if key != HISTORY_ENV}
        base_env["GIT_ALLOW_PROTOCOL"] = "file"
        pristine = create_service({"service_name": "orders"}, work / "pristine").path
        edited = work / "edited"
        shutil.copytree(pristine, edited, symlinks=True)
        (edited / DROPPED).write_text((edited / DROPPED).read_text() + "secrets/\n")
        subprocess.run(["git", "commit", "-qam", "owner edit"], cwd=edited, check=True)
        full = _history(work, "full", make_v2)
        histories = {
            "line": (_history(work, "line", _line_change), pristine),
            "drop + rename": (full, pristine),
            "drop + rename, edited": (full, edited),
        }
        counter = itertools.count()

        def fresh(origin: Path = pristine) -> Path:
            copy = work / f"svc-{next(counter)}"
            shutil.copytree(origin, copy, symlinks=True)
            return copy

        def mio_update(bundle: Path, *paths: Path) -> None:
            env = {**base_env, HISTORY_ENV: str(bundle)}
            _run([sys.executable, "-m", "scaffold", "update", *paths], cwd=work, env=env)

        def copier_update(bundle: Path, path: Path) -> None:
            env = {**base_env, **redirect_env(bundle)}
            argv: list[str | Path] = [
                sys.executable,
                "-m",
                "copier",
                "update",
                "--defaults",
                "--vcs-ref",
                NEXT,
                "--quiet",
            ]
            _run(argv, cwd=path, env=env)

        variants: dict[str, Callable[[], float]] = {}
        for change, (bundle, origin) in histories.items():
            variants[f"copier update ({change})"] = partial(
                _timed, fresh, origin, partial(copier_update, bundle)
            )
            variants[f"mio update ({change})"] = partial(
                _timed, fresh, origin, partial(mio_update, bundle)
            )
        times: dict[str, list[float]] = {label: [] for label in variants}
        for action in variants.values():
            action()  # warm-up: imports, file caches
        for _ in range(ROUNDS):
            for label, action in variants.items():
                times[label].append(action())

        fleet_times = []
        for _ in range(FLEET_ROUNDS):
            paths = [fresh() for _ in range(FLEET)]
            started = time.perf_counter()
            mio_update(full, *paths)
            fleet_times.append(time.perf_counter() - started)

    lines = [
        "## Updates",
        "",
        f"`mio update` against a raw `copier update` of the same change ({BASE} -> {NEXT}) on",
        "the same freshly generated service, both as commands, both offline from the same",
        f"template history; medians over {ROUNDS} alternating rounds (min-max); the ratio is the"
        " median of the per-round ratios (each round ran both back to back). Target ratio"
        f" <= {TARGET_RATIO}.",
        "",
        "| change | copier update | mio update | ratio | ratio of fastest | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for change in histories:
        raw, mio = times[f"copier update ({change})"], times[f"mio update ({change})"]
        ratio = paired_ratio(mio, raw)
        fastest = min(mio) / min(raw)
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        lines.append(
            f"| {change} | {_median_cell(raw)} | {_median_cell(mio)} | {ratio:.2f} | {fastest:.2f}"
            f" | {verdict} |"
        )
    single = statistics.median(times["mio update (drop + rename)"])
    fleet = statistics.median(fleet_times)
    lines += [
        "",
        f"Twenty services in one `mio update` call (drop + rename change, {os.cpu_count()} cores,"
        f" {FLEET_ROUNDS} rounds): {_median_cell(fleet_times)}, {fleet / FLEET:.2f} s a service;"
        f" {FLEET} single-service runs would take about {FLEET * single:.1f} s"
        f" ({FLEET * single / fleet:.1f}x).",
    ]
    return "\n".join(lines)


def _timed(fresh: Callable[[Path], Path], origin: Path, action: Callable[[Path], None]) -> float:
    """Wall time of ``action`` on a fresh copy of ``origin``."""
    path = fresh(origin)
    started = time.perf_counter()
    action(path)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(main())
