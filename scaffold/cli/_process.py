"""The state of one `mio` run, light enough to load before anything else: the signals
that stop it, what stopped it, the --debug switch, and stdout once its reader is gone.

The entry point installs the signal handlers first thing, before Typer and the commands
are imported, so this module imports nothing heavy.
"""

import signal
import sys

#: The signals that stop mio cleanly: one line, nothing half-made, exit 128 + number.
STOP_SIGNALS = {signal.SIGINT: "Interrupted", signal.SIGTERM: "Terminated"}

#: ``interrupted`` holds the number of the signal that stopped mio (0: none).
state = {"debug": False, "interrupted": 0}


def silence_stdout() -> None:
    """Send the rest of stdout, and the interpreter's final flush, to the null device."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
