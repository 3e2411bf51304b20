"""CLI start-up: `mio --help` and `mio patterns list` against a minimal three-command
Typer app (the floor) and `copier --help`. Target: within 1.2x of the minimal app."""

from __future__ import annotations

import tempfile
from pathlib import Path

from _harness import BIN, command, interleaved, ratio, table, verdict

MINIMAL_APP = """
import typer

app = typer.Typer()


@app.command()
def one() -> None:
    typer.echo("one")


@app.command()
def two() -> None:
    typer.echo("two")


@app.command()
def three() -> None:
    typer.echo("three")


app()
"""
TARGET = 1.2
REPEAT = 20


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        python = BIN / "python"
        samples = interleaved(
            {
                "minimal Typer app --help": command([python, minimal, "--help"]),
                "minimal Typer app one": command([python, minimal, "one"]),
                "mio --help": command([BIN / "mio", "--help"]),
                "mio patterns list": command([BIN / "mio", "patterns", "list"]),
                "copier --help": command([BIN / "copier", "--help"]),
            },
            REPEAT,
        )
    floor_help = samples["minimal Typer app --help"]
    floor_command = samples["minimal Typer app one"]
    rows = []
    for label, sample in samples.items():
        baseline = (
            floor_command
            if label in {"mio patterns list", "minimal Typer app one"}
            else (floor_help)
        )
        r = ratio(sample, baseline)
        judged = label.startswith("mio")
        rows.append(
            [label, sample.cell(3), f"{r:.2f}x", verdict(r, TARGET) if judged else "baseline"]
        )
    return "\n".join(
        [
            "## CLI start-up",
            "",
            f"Wall time of a whole process, {REPEAT} interleaved rounds (the ratio is the median"
            " of the per-round ratios). `mio --help` is",
            "compared with the minimal app's `--help`, `mio patterns list` with running one of its",
            f"commands. Target: at most {TARGET}x the minimal Typer app. Copier is imported only",
            "by the commands that render or update (`import copier` alone costs about 0.25 s).",
            "",
            table(["command", "median (min–max)", "ratio to floor", "target"], rows),
        ]
    )


if __name__ == "__main__":
    print(main())
