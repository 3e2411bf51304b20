"""What every command shares: one exit point for failures, output that survives a closed
pipe, and the options and arguments several commands take."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from scaffold.cli._choices import (
    complete_data,
    complete_pattern,
    complete_question,
    listed,
    pattern_ids,
    question_choices,
)
from scaffold.cli._process import STOP_SIGNALS, silence_stdout, state
from scaffold.errors import Interrupted, MioError

T = TypeVar("T")


# --- Options and arguments of several commands ------------------------------------------

GatewayOption = Annotated[
    str | None,
    typer.Option(
        metavar="GATEWAY",
        help=f"API gateway to route through: {listed(question_choices('gateway'))}.",
        autocompletion=complete_question("gateway"),
    ),
]
MessagingOption = Annotated[
    str | None,
    typer.Option(
        metavar="BROKER",
        help=f"Message broker: {listed(question_choices('messaging'))}.",
        autocompletion=complete_question("messaging"),
    ),
]
DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        "-d",
        metavar="KEY=VALUE",
        help="Answer any question; the value is cast by the question's type (text stays"
        " as typed, a list is [a, b] or a,b); repeatable.",
        autocompletion=complete_data,
    ),
]
ConsumesOption = Annotated[
    str | None,
    typer.Option(
        metavar="EVENT,...",
        help="Other services' events to consume, comma-separated (orders.items.created);"
        " each event's fields come from its producer's asyncapi.json, found in a sibling"
        " service folder or given with --contract.",
    ),
]
ContractOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--contract",
        metavar="PATH",
        help="A producer's asyncapi.json (or its service folder), for --consumes; repeatable.",
    ),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(metavar="[PATH]...", help="Service directories (default: the current one)."),
]
PathOption = Annotated[
    Path, typer.Option("--path", "-p", help="The service's directory (default: the current one).")
]
PatternArgument = Annotated[
    str,
    typer.Argument(
        metavar="PATTERN",
        help=f"Pattern id: {listed(pattern_ids())} (`mio patterns list`).",
        autocompletion=complete_pattern,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change and write nothing.")
]


# --- Running a command ----------------------------------------------------------------


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
    signum = int(state["interrupted"])
    reason = next((text for sig, text in STOP_SIGNALS.items() if sig == signum), "Interrupted")
    raise Interrupted(signum, reason) from cause


def report_one(action: Callable[[Path], Any], path: Path) -> NoReturn:
    """Run an update-like ``action`` on one service, print its report, exit with its code."""
    from scaffold.batch import Outcome
    from scaffold.reports import update_summary

    report = run(lambda: action(path))
    echo(update_summary([Outcome(path, result=report, exit_code=report.exit_code)]))
    raise typer.Exit(report.exit_code)


def report_each(
    action: Callable[[Path], Any], paths: list[Path] | None, verb: str, *, as_json: bool = False
) -> NoReturn:
    """Run ``action`` on each service (the current directory by default): a line per
    service as it finishes (a progress bar on a terminal), each report, and a closing
    summary naming the services that need attention; exit with the worst code. With
    ``as_json``, one JSON document instead. Ctrl-C lists what was applied, rolled back and
    not started, then stops."""
    from scaffold.batch import RunStopped, distinct, overall_exit_code, run_each
    from scaffold.reports import closing_summary, stopped_summary, update_json, update_summary

    paths = distinct(paths or [Path(".")])
    if len(paths) == 1 and not as_json:
        report_one(action, paths[0])
    with _progress(len(paths), verb) as on_done:
        try:
            outcomes = run(lambda: run_each(action, paths, on_done=on_done))
        except RunStopped as stop:
            finished = [o for o in stop.outcomes if o.started and not o.interrupted]
            echo(update_json(stop.outcomes) if as_json else update_summary(finished))
            typer.echo(stopped_summary(stop.outcomes), err=True)
            raise
    if as_json:
        echo(update_json(outcomes))
    else:
        echo(update_summary(outcomes))
        echo(closing_summary(outcomes, verb))
    raise typer.Exit(overall_exit_code(outcomes))


@contextmanager
def _progress(total: int, verb: str) -> Iterator[Callable[[Any], None]]:
    """What to call as each of ``total`` services finishes: a progress bar on stderr when
    it is a terminal, else a line per service (CI logs); nothing for a single service."""
    from scaffold.reports import progress_line

    if total <= 1:
        yield lambda outcome: None
        return
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True)) as bar:
            task = bar.add_task(verb, total=total)

            def advance(outcome: Any) -> None:
                bar.console.print(progress_line(outcome), markup=False, highlight=False)
                bar.advance(task)

            yield advance
        return
    done = 0

    def line(outcome: Any) -> None:
        nonlocal done
        done += 1
        typer.echo(f"[{done}/{total}] {progress_line(outcome)}", err=True)

    yield line


# --- Output ---------------------------------------------------------------------------


def echo(message: str = "") -> None:
    """Print a line of output; once the reader has gone (`| head -1`), print nothing more.

    The command carries on to its own exit code: the work is not undone because nobody
    reads its report.
    """
    try:
        typer.echo(message)
    except BrokenPipeError:
        silence_stdout()


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
