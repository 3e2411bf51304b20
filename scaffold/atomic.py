"""Moving finished work into place in one step, so that readers never see half of it.

Whatever mio writes as a whole (a new service, a gateway configuration, an answers file)
is built beside its destination, on the same filesystem, then renamed into place: the
destination holds all of it or none of it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def move_into_place(staged: Path, destination: Path) -> None:
    """Rename the directory ``staged`` to ``destination`` atomically.

    An empty directory at ``destination`` is replaced; anything else there makes the
    rename fail (``OSError``) and is left untouched: nothing is ever overwritten.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_dir() and not destination.is_symlink() and not any(destination.iterdir()):
        destination.rmdir()
    os.rename(staged, destination)


def write_file(path: Path, text: str) -> None:
    """Replace the file ``path`` with ``text`` atomically, keeping its permissions."""
    fd, staged = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(staged, path.stat().st_mode & 0o777)
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
