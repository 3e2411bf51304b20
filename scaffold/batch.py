"""Run one action on several services in parallel; one failure does not stop the others.

Copier changes process-wide state (the working directory and plumbum's
environment), so services run in separate processes, not threads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from scaffold.errors import MioError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of an action on one service, or the error that stopped it."""

    path: Path
    result: T | None = None
    error: str | None = None
    hint: str | None = None
    exit_code: int = 0


def attempt(action: Callable[[Path], T], path: Path) -> Outcome[T]:
    try:
        result = action(path)
    except MioError as exc:
        return Outcome(path, error=exc.message, hint=exc.hint, exit_code=exc.exit_code)
    except Exception as exc:
        return Outcome(path, error=f"{type(exc).__name__}: {exc}", exit_code=1)
    code = getattr(result, "exit_code", 0)
    return Outcome(path, result=result, exit_code=code if isinstance(code, int) else 0)


def distinct(paths: Sequence[Path]) -> list[Path]:
    """``paths`` without repeats of one folder, however spelled (``dup``, ``dup/``,
    ``./dup``, a symbolic link to it): the first spelling is kept, in order."""
    seen: set[str] = set()
    kept = []
    for path in paths:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            kept.append(path)
    return kept


def run_each(
    action: Callable[[Path], T], paths: Sequence[Path], *, workers: int | None = None
) -> list[Outcome[T]]:
    """``action`` on every path, in parallel processes; outcomes in the order of ``paths``.

    ``action`` must be picklable: a module-level function, or a ``functools.partial`` of one.
    A folder named twice is acted on once (:func:`distinct`).
    """
    paths = distinct(paths)
    if len(paths) <= 1:
        return [attempt(action, path) for path in paths]
    workers = workers or min(len(paths), (os.cpu_count() or 1) + 1)
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(partial(attempt, action), paths))


def overall_exit_code(outcomes: Sequence[Outcome[Any]]) -> int:
    """1 if any service failed, else 2 if any was refused, else 3 if any has conflicts, else 0."""
    codes = {outcome.exit_code for outcome in outcomes}
    for code in (1, 2, 3):
        if code in codes:
            return code
    return max(codes, default=0)
