"""The `mio` command: a thin Typer layer over the scaffold package."""

from __future__ import annotations

import gc
import signal
import sys
from types import FrameType

from scaffold.cli._process import STOP_SIGNALS, silence_stdout, state
from scaffold.errors import Interrupted

__all__ = ["Interrupted", "main"]


def _stop(signum: int, frame: FrameType | None) -> None:
    # Remembered too: a library may catch the exception and raise another in its place.
    state["interrupted"] = signum
    raise Interrupted(signum, STOP_SIGNALS.get(signal.Signals(signum), "Stopped"))


def main() -> None:
    """Entry point of `mio`. Ctrl-C (or SIGTERM) at any point: one line, exit 130 (143)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        from scaffold.cli.app import app

        # The commands, their options and the data behind their help live as long as
        # the process: kept out of the collector's scans, they no longer slow down the
        # collections a render triggers (about 15 ms of a `mio new`).
        gc.freeze()
        app()
    except KeyboardInterrupt:
        _stopped(Interrupted())
    except Interrupted as stop:
        # Generation is atomic: an interrupted service was not written at all, and one
        # interrupted after its final move is complete. Updates roll back.
        _stopped(stop)
    except BrokenPipeError:
        _closed_pipe()
    except SystemExit as exc:
        # Typer (Click) prints help and usage itself; on a closed pipe it swaps stdout
        # for a `PacifyFlushWrapper` and exits 1. The reader leaving is not a failure.
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _closed_pipe()
        raise
    finally:
        # The work is done or reported: a late signal must not kill the exiting interpreter.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def _stopped(stop: Interrupted) -> None:
    print(f"{stop.reason}; nothing was left half-made.", file=sys.stderr)
    sys.exit(128 + stop.signum)


def _closed_pipe() -> None:
    """The reader went away (`mio --help | head -1`): stop quietly, as other commands do."""
    silence_stdout()
    sys.exit(0)
