"""Copier work that can never have an effect for mio, skipped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.project import git

_HOOK = "_sync_git_index_executable_bit"


@contextmanager
def without_index_mode_sync() -> Iterator[None]:
    """Skip Copier's per-file git call that syncs the executable bit into a git index.

    For every rendered file Copier runs `git config core.fileMode` (about 2 ms a file,
    a tenth of a `mio new`) and touches the index only when that setting is `false`
    and git already tracks the file. Use it where neither can hold: a new service
    (every file untracked), a render into a scratch folder, or an update of a
    repository whose `core.fileMode` is not `false` (see :func:`tracks_file_mode`).
    Copier versions without the hook are left as they are.
    """
    from copier._main import Worker

    original = getattr(Worker, _HOOK, None)
    if original is None:
        yield
        return
    setattr(Worker, _HOOK, lambda self, dst_relpath, src_mode: None)
    try:
        yield
    finally:
        setattr(Worker, _HOOK, original)


def tracks_file_mode(repo: Path) -> bool:
    """Whether git reads executable bits from disk in ``repo`` (unset means yes)."""
    setting = git("config", "--type=bool", "--get", "core.fileMode", cwd=repo, check=False)
    return setting.strip() != "false"
