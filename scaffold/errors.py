"""Errors a user can act on, each with the exit code the CLI turns it into.

Exit codes: 0 done, 1 failed, 2 invalid input, 3 finished with conflicts to resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class MioError(Exception):
    """Root of every error mio reports without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(MioError, ValueError):
    """An answer, flag or path breaks a rule; nothing was written."""

    exit_code = 2


class InvalidAnswer(InvalidInput):
    """An answer breaks a rule of copier.yml; the message names its source."""


class DestinationExists(InvalidInput):
    """The destination exists and is not empty; mio never writes into it."""


class NotAService(InvalidInput):
    """A directory holds no mio answers file, or is not usable for an update."""


class GenerationFailed(MioError, RuntimeError):
    """Copier or git failed while rendering; nothing was left behind."""


class GitFailed(GenerationFailed):
    """A git command failed; the message names the command, where it ran and git's error."""

    def __init__(self, args: Sequence[str], cwd: Path, stderr: str, returncode: int) -> None:
        self.command = ("git", *args)
        self.stderr = stderr.strip()
        self.returncode = returncode
        detail = "; ".join(self.stderr.splitlines()) or f"exit {returncode}"
        super().__init__(f"`{' '.join(self.command)}` failed in {cwd}: {detail}")


class ConflictsRemain(MioError):
    """The work finished, but files hold conflict markers to resolve."""

    exit_code = 3


class Interrupted(BaseException):
    """Ctrl-C, Ctrl-D at a prompt, or SIGTERM: the command stops, leaving nothing half-made.

    A BaseException, so that no ``except Exception`` on the way up (Typer's, a library's)
    swallows it; the entry point turns it into one line and ``128 + signal number``.
    """

    def __init__(self, signum: int = 2, reason: str = "Interrupted") -> None:
        super().__init__(reason)
        self.signum = signum
        self.reason = reason
