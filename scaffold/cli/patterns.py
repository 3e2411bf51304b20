"""`mio patterns`: browse the pattern catalog, and choose patterns for a service."""

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from scaffold.cli._choices import complete_pattern, listed, pattern_ids
from scaffold.cli._common import echo, is_interactive, run
from scaffold.situation import SituationQuestion

patterns_app = typer.Typer(
    help="Browse the pattern catalog and choose patterns.", no_args_is_help=True
)


@patterns_app.command("list")
def list_patterns() -> None:
    """List every pattern: its id, the flag that chooses it and a summary."""
    from scaffold.catalog import load_catalog
    from scaffold.render import pattern_table

    echo(run(lambda: pattern_table(list(load_catalog().values()))))


@patterns_app.command("show")
def show_pattern(
    pattern_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help=f"Pattern id: {listed(pattern_ids())}.",
            autocompletion=complete_pattern,
        ),
    ],
) -> None:
    """Show what a pattern is, when to choose it, and what it adds."""
    from scaffold.catalog import get_pattern
    from scaffold.render import pattern_details

    echo(run(lambda: pattern_details(get_pattern(pattern_id))))


SUGGEST_HELP = """Suggest the patterns a service needs, with the reasons, from its situation.

Each question below is a flag (--ID yes, --no-ID no). At a terminal, the
questions no flag answers are asked; without one, or with --defaults, they take
their defaults. The answer lists each pattern to use with the reasons and its
trade-offs, what is left out and why, and the `mio new service` and `mio add`
commands. The questions and the rules are data in the catalog (patterns/).

With --path, reviews existing services (a service directory, or every service
below a directory) against the same rules: what the answers file shows is taken
as answered, the rest is asked or assumed, and each finding comes with the
command that fixes it.

Examples:

  mio patterns suggest --calls-upstreams --flaky-upstreams --name orders

  mio patterns suggest --deferred-work --fan-out --json

  mio patterns suggest --path services/ --no-idempotent-calls
"""


def suggest(
    *,
    name: str,
    path: Path | None,
    defaults: bool,
    as_json: bool,
    strict: bool,
    **answers: bool | None,
) -> None:
    import json

    from scaffold import advice, render

    given = {key.replace("_", "-"): value for key, value in answers.items() if value is not None}
    interactive = not defaults and is_interactive()

    def ask(question: SituationQuestion) -> bool:
        typer.echo(f"  ({question.help})", err=as_json)
        return bool(typer.confirm(question.text, default=question.default, err=as_json))

    if path is None:
        suggestion = run(
            lambda: advice.suggest(advice.gather_answers(given, ask=ask if interactive else None))
        )
        if as_json:
            echo(json.dumps(render.suggestion_json(suggestion, name), indent=2))
        else:
            echo(render.suggestion_text(suggestion, name))
        return

    def ask_about(service: Path, question: SituationQuestion) -> bool:
        typer.echo(f"{service}:", err=as_json)
        return ask(question)

    def review() -> list[advice.Review]:
        return [
            advice.review_service(service, given, ask=ask_about if interactive else None)
            for service in advice.find_services(path)
        ]

    reviews = run(review)
    if as_json:
        echo(json.dumps(render.review_json(reviews), indent=2))
    else:
        echo(render.review_text(reviews))
    if strict and any(review.findings for review in reviews):
        raise typer.Exit(1)


def _suggest_signature() -> inspect.Signature:
    """The command's options: fixed ones, then one --ID/--no-ID flag per catalog question."""
    from scaffold.situation import load_situation_questions

    fixed = [
        (
            "name",
            str,
            typer.Option(help="Service name for the `mio new service` command shown."),
            "my-service",
        ),
        (
            "path",
            Path | None,
            typer.Option(
                "--path", "-p", help="Review the service here, or every service below it."
            ),
            None,
        ),
        (
            "defaults",
            bool,
            typer.Option(
                "--defaults", help="Ask nothing: every unanswered question takes its default."
            ),
            False,
        ),
        ("as_json", bool, typer.Option("--json", help="Print JSON for tools."), False),
        (
            "strict",
            bool,
            typer.Option("--strict", help="With --path: exit 1 when any service has findings."),
            False,
        ),
    ]
    parameters = [
        inspect.Parameter(
            key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
        )
        for key, kind, option, default in fixed
    ]
    for question in load_situation_questions():
        flag = f"--{question.id}/--no-{question.id}"
        default = "yes" if question.default else "no"
        help_text = f"{question.text} {question.help} Default: {default}."
        if question.ask_if:
            help_text += f" Asked only when {' or '.join(question.ask_if)} is yes."
        option = typer.Option(flag, help=help_text, show_default=False)
        parameters.append(
            inspect.Parameter(
                question.id.replace("-", "_"),
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[bool | None, option],
            )
        )
    return inspect.Signature(parameters)


def _command(function: Any, signature: inspect.Signature) -> Any:
    def command(**kwargs: Any) -> None:
        function(**kwargs)

    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__doc__ = function.__doc__
    return command


patterns_app.command("suggest", help=SUGGEST_HELP)(_command(suggest, _suggest_signature()))
