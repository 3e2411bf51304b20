"""Generation: `mio new service` with every pattern against a raw `copier copy` of the
same template from the same source, same run. Targets: ratio <= 1.10, median < 1 s."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

from _harness import (
    BIN,
    command,
    every_pattern,
    interleaved,
    pattern_flags,
    peak_rss_mib,
    ratio,
    table,
    verdict,
)
from scaffold.history import redirect_env
from scaffold.resources import TEMPLATE_SOURCE, template_tag

REPEAT = 15
TARGET_RATIO = 1.10
TARGET_SECONDS = 1.0


def main() -> str:
    answers = every_pattern()
    flags = pattern_flags(answers)
    data = []
    for name, value in answers.items():
        rendered = f"[{value}]" if name == "resilience" else value
        data += ["--data", f"{name}={rendered}"]
    counter = itertools.count()
    env = {**os.environ, **redirect_env()}

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)

        def fresh(prefix: str) -> Path:
            return work / f"{prefix}-{next(counter)}"

        def mio_new(*extra: str) -> None:
            command(
                [
                    BIN / "mio",
                    "new",
                    "service",
                    "orders",
                    "--defaults",
                    "-o",
                    fresh("mio"),
                    *flags,
                    *extra,
                ]
            )()

        def copier_copy() -> None:
            import subprocess

            subprocess.run(
                [
                    str(BIN / "copier"),
                    "copy",
                    "--quiet",
                    "--defaults",
                    "--vcs-ref",
                    template_tag(),
                    "--data",
                    "service_name=orders",
                    *data,
                    TEMPLATE_SOURCE,
                    str(fresh("copier")),
                ],
                check=True,
                capture_output=True,
                env=env,
            )

        samples = interleaved(
            {
                "raw copier copy": copier_copy,
                "mio new service --no-git --no-lock": lambda: mio_new("--no-git", "--no-lock"),
                "mio new service": mio_new,
            },
            REPEAT,
        )
        memory = peak_rss_mib(
            [BIN / "mio", "new", "service", "orders", "--defaults", "-o", fresh("rss"), *flags]
        )
        shutil.rmtree(work, ignore_errors=True)

    baseline = samples["raw copier copy"]
    rows = []
    for label, sample in samples.items():
        r = ratio(sample, baseline)
        if label == "raw copier copy":
            judged = "baseline"
        elif label.endswith("--no-lock"):
            judged = (
                f"ratio {verdict(r, TARGET_RATIO)}, time {verdict(sample.median, TARGET_SECONDS)}"
            )
        else:
            judged = "none (adds uv lock, git init + commit)"
        rows.append([label, sample.cell(3), f"{r:.2f}x", judged])
    chosen = ", ".join(f"{k}={v}" for k, v in answers.items()) or "none available"
    return "\n".join(
        [
            "## Generation",
            "",
            f"A whole `mio new service` process with every pattern ({chosen}) against a raw",
            "`copier copy` process of the same template version from the same source (the",
            f"bundle shipped in the package), {REPEAT} interleaved rounds (the ratio is the median",
            "of the per-round ratios). Targets: at most",
            f"{TARGET_RATIO:.2f}x the raw copy for the like-for-like run (`--no-git --no-lock`)",
            f"and under {TARGET_SECONDS:.0f} s. The default run also locks the dependencies with",
            "uv and makes the service a git repository with one commit, which raw Copier does",
            "not do.",
            "",
            table(["command", "median (min–max)", "ratio to copier", "target"], rows),
            "",
            f"Peak resident memory of `mio new service` with every pattern: {memory:.0f} MiB.",
            "The ratio moves by several hundredths from run to run on a busy 2-core machine.",
            "",
            "mio drives Copier through `run_copy` only, so Copier's own costs are the raw",
            "copy's: importing Copier, cloning the version from the shipped bundle, then for",
            "each file compiling its path parts and its text as Jinja (about 520 sources for",
            "a service, of which about 150 differ; most are plain names such as `src`) and",
            "running `git config` once to sync its executable bit into a git index, which a new",
            "service (every file untracked) never needs. What mio adds (cProfile): the Typer",
            "CLI's start-up (building the commands and coercing each option through pydantic),",
            "and checking the answers against `copier.yml` and the catalog before a byte is",
            "written. Three costs were cut in mio itself: its CLI modules leave annotations",
            "unpostponed (Typer otherwise compiles each annotation string at start-up), its",
            "validators parse `data/reserved-names.yml` once, with libyaml, and the CLI's",
            "objects are frozen out of the garbage collector's scans once built (`gc.freeze`).",
            "",
            "Copier could offer the rest to any caller: an option to skip the per-file index",
            "sync when the destination is not a git work tree or the file is untracked (about",
            "2 ms a file), and a cache of compiled templates kept for the length of a run",
            "(keyed by source text) for the repeated path parts; before mio used Copier's",
            "public API only, it patched both in, and `mio new` ran at about 0.9x the raw copy.",
        ]
    )


if __name__ == "__main__":
    print(main())
