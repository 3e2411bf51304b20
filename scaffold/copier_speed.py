"""Copier work that can never have an effect for mio, skipped."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def templates_compiled_once() -> Iterator[None]:
    """Compile each Jinja source once per environment while Copier renders.

    Copier compiles every part of every path and every answer afresh: rendering a
    service compiles about 520 sources, of which about 150 differ (most are plain
    names such as `src` or `tests`). A compiled source depends only on its text and its
    environment, which does not change during a run, so the repeats are served from
    a cache that lives as long as the environment.
    """
    from jinja2 import Environment

    original: Callable[..., Any] = Environment.compile
    cache: weakref.WeakKeyDictionary[Environment, dict[tuple[Any, ...], Any]]
    cache = weakref.WeakKeyDictionary()

    def compile_once(
        self: Environment,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if not isinstance(source, str):  # an already parsed template: nothing to share
            return original(self, source, name, filename, raw, defer_init)
        compiled = cache.setdefault(self, {})
        key = (source, name, filename, raw, defer_init)
        if key not in compiled:
            compiled[key] = original(self, source, name, filename, raw, defer_init)
        return compiled[key]

    Environment.compile = compile_once  # type: ignore[method-assign]
    try:
        yield
    finally:
        Environment.compile = original  # type: ignore[method-assign]


@contextmanager
def copier_shortcuts(*, skip_index_sync: bool = True) -> Iterator[None]:
    """Both shortcuts around one Copier run; ``skip_index_sync=False`` keeps the index sync.

    Pass :func:`tracks_file_mode` of a repository Copier writes into; a new service or a
    scratch folder can always skip it.
    """
    with templates_compiled_once():
        if skip_index_sync:
            with without_index_mode_sync():
                yield
        else:
            yield


def tracks_file_mode(repo: Path) -> bool:
    """Whether git reads executable bits from disk in ``repo`` (unset means yes)."""
    setting = git("config", "--type=bool", "--get", "core.fileMode", cwd=repo, check=False)
    return setting.strip() != "false"
