"""What every command shares: one exit point for failures, and the --debug switch."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

from scaffold.errors import MioError

T = TypeVar("T")

#: ``interrupted`` holds the number of the signal that stopped mio (0: none).
state = {"debug": False, "interrupted": 0}


def fail(message: str, *, hint: str | None = None, code: int = 1) -> NoReturn:
    """Print one line (and an optional hint) to stderr and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    if hint:
        typer.echo(f"hint: {hint}", err=True)
    raise typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Run one package call, turning errors a user can act on into exit codes."""
    try:
        return action()
    except MioError as exc:
        if state["interrupted"]:
            _reraise_interrupt(exc)
        if state["debug"]:
            raise
        fail(exc.message, hint=exc.hint, code=exc.exit_code)
    except Exception as exc:
        if state["interrupted"]:  # Ctrl-C, caught and replaced by a library on its way up
            _reraise_interrupt(exc)
        if state["debug"]:
            raise
        fail(f"{type(exc).__name__}: {exc}", hint="run again with --debug for the traceback")


def _reraise_interrupt(cause: Exception) -> NoReturn:
    from scaffold.cli import STOP_SIGNALS, Interrupted

    signum = int(state["interrupted"])
    reason = next((text for sig, text in STOP_SIGNALS.items() if sig == signum), "Interrupted")
    raise Interrupted(signum, reason) from cause


def echo(message: str = "") -> None:
    """Print a line of output; once the reader has gone (`| head -1`), print nothing more.

    The command carries on to its own exit code: the work is not undone because nobody
    reads its report.
    """
    try:
        typer.echo(message)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Send the rest of stdout, and the interpreter's final flush, to the null device."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
