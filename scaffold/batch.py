"""Run one action on several services in parallel; one failure does not stop the others.

Copier changes process-wide state (the working directory and plumbum's
environment), so services run in separate processes, not threads. Each outcome is
handed to a callback as soon as its service finishes (progress). Ctrl-C stops the run:
services not started are not started, the running ones stop and roll back (an update
leaves nothing half-written), and :class:`RunStopped` carries every outcome, so the
caller can say what was applied, rolled back and not started.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from scaffold.cli._process import state
from scaffold.errors import Interrupted, MioError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of an action on one service, or the error that stopped it."""

    path: Path
    result: T | None = None
    error: str | None = None
    hint: str | None = None
    exit_code: int = 0
    #: Stopped by Ctrl-C while it ran: whatever it had written was rolled back.
    interrupted: bool = False
    #: False for a service a stopped run never got to.
    started: bool = True


class RunStopped(Interrupted):
    """Ctrl-C (or SIGTERM) stopped :func:`run_each`; ``outcomes`` says how far each got."""

    def __init__(self, stop: Interrupted, outcomes: list[Outcome[Any]]) -> None:
        super().__init__(stop.signum, stop.reason)
        self.outcomes = outcomes


def attempt(action: Callable[[Path], T], path: Path) -> Outcome[T]:
    try:
        result = action(path)
    except (Interrupted, KeyboardInterrupt):
        return _stopped_outcome(path)
    except MioError as exc:
        if state["interrupted"]:  # a library replaced the interruption with its own error
            return _stopped_outcome(path)
        return Outcome(path, error=exc.message, hint=exc.hint, exit_code=exc.exit_code)
    except Exception as exc:
        if state["interrupted"]:
            return _stopped_outcome(path)
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
    action: Callable[[Path], T],
    paths: Sequence[Path],
    *,
    workers: int | None = None,
    on_done: Callable[[Outcome[T]], None] | None = None,
) -> list[Outcome[T]]:
    """``action`` on every path, in parallel processes; outcomes in the order of ``paths``,
    each also given to ``on_done`` as its service finishes.

    ``action`` must be picklable: a module-level function, or a ``functools.partial`` of one.
    A folder named twice is acted on once (:func:`distinct`). Ctrl-C raises
    :class:`RunStopped` once the running services have stopped.
    """
    paths = distinct(paths)
    report = on_done or (lambda outcome: None)
    if len(paths) <= 1:
        outcomes = [attempt(action, path) for path in paths]
        for outcome in outcomes:
            report(outcome)
        return outcomes
    workers = workers or min(len(paths), (os.cpu_count() or 1) + 1)
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    results: dict[int, Outcome[T]] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(attempt, action, path): index for index, path in enumerate(paths)}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                report(results[futures[future]])
        except (Interrupted, KeyboardInterrupt) as exc:
            stop = exc if isinstance(exc, Interrupted) else Interrupted()
            for future in futures:
                future.cancel()
            for future, index in futures.items():
                if index not in results:
                    results[index] = _settle(future, paths[index])
            outcomes = [results[index] for index in range(len(paths))]
            raise RunStopped(stop, outcomes) from exc
    return [results[index] for index in range(len(paths))]


def _settle(future: Future[Outcome[T]], path: Path) -> Outcome[T]:
    """The outcome of a service when the run stops: not started, or whatever it came to."""
    if future.cancelled():
        return Outcome(path, error="not started", exit_code=130, started=False)
    try:
        return future.result()
    except Exception:  # the worker died with the run
        return _stopped_outcome(path)


def _stopped_outcome(path: Path) -> Outcome[Any]:
    return Outcome(
        path, error="stopped; rolled back, nothing changed", exit_code=130, interrupted=True
    )


def overall_exit_code(outcomes: Sequence[Outcome[Any]]) -> int:
    """1 if any service failed, else 2 if any was refused, else 6 if any update's tests
    failed (nothing written), else 3 if any has conflicts, else 0."""
    codes = {outcome.exit_code for outcome in outcomes}
    for code in (1, 2, 6, 3):
        if code in codes:
            return code
    return max(codes, default=0)
