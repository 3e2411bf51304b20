"""Run every benchmark and rewrite docs/benchmarks.md.

    python bench/run.py                 # every bench_*.py in this folder
    python bench/run.py cli generate    # only bench_cli.py and bench_generate.py

Each ``bench_<topic>.py`` has ``main() -> str`` returning its markdown section.
Benchmarks never gate the test suite; they report.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import ROOT, machine  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
INTRO = """# Benchmarks

Written by `python bench/run.py` (one command runs them all). Every figure is the median
over repeated runs with the min–max in brackets, and every target is checked as a ratio
against a baseline measured in the same run on the same machine. Benchmarks never gate
the test suite.
"""


def discover(selected: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        wanted = {f"bench_{name.removeprefix('bench_')}" for name in selected}
        names = [n for n in names if n in wanted]
    return names


MARK = "<!-- {} -->"


def previous_sections() -> dict[str, str]:
    """Sections of the current document by benchmark, kept when a run skips them."""
    if not DOC.exists():
        return {}
    sections: dict[str, str] = {}
    current: str | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("<!-- bench_") and line.endswith(" -->"):
            current = line[5:-4]
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def main() -> None:
    sections = previous_sections()
    for name in discover(sys.argv[1:]):
        print(f"running {name} ...", flush=True)
        started = time.perf_counter()
        section = importlib.import_module(name).main()
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        print(section, flush=True)
        sections[name] = section.strip() + "\n"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    header = f"{INTRO}\nLast run on {stamp}: {machine()}.\n"
    body = "\n".join(
        f"{MARK.format(name)}\n{sections[name].strip()}\n" for name in sorted(sections)
    )
    DOC.write_text(header + "\n" + body, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
