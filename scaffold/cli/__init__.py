"""The `mio` command: a thin Typer layer over the scaffold package."""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Interrupted(BaseException):
    """Ctrl-C, raised past Typer (which would swallow a KeyboardInterrupt silently)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Remembered too: a library may catch the exception and raise another in its place.
    _common_state()["interrupted"] = True
    raise Interrupted


def _common_state() -> dict[str, bool]:
    from scaffold.cli._common import state

    return state


def main() -> None:
    """Entry point of `mio`. Ctrl-C at any point exits 130 with one line."""
    signal.signal(signal.SIGINT, _interrupt)
    try:
        from scaffold.cli.app import app

        app()
    except (Interrupted, KeyboardInterrupt):
        # Generation is atomic: an interrupted service was not written at all, and one
        # interrupted after its final move is complete.
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
    finally:
        # The work is done or reported: a late Ctrl-C must not kill the exiting interpreter.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
