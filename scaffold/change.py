"""`mio add` and `mio remove`: change a service's patterns in place.

A pattern is a catalog entry: it names the ``copier.yml`` question that selects it
and the answer values that do. Adding or removing one changes that answer (checked by
copier.yml's rules, as every answer is) and runs the update machinery at the
service's current version, so Copier adds or removes the pattern's files,
dependencies and settings while owners' edits stay (see :mod:`scaffold.update`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scaffold.catalog import Pattern, get_pattern, load_catalog, selected_patterns
from scaffold.errors import InvalidInput
from scaffold.project import open_service
from scaffold.update import UpdateReport, update_service

NO_CHOICE = "none"


def add_pattern(
    path: Path,
    pattern_id: str,
    *,
    value: str | None = None,
    data: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Pattern] | None = None,
    bundle: Path | None = None,
    dry_run: bool = False,
) -> UpdateReport:
    """Add a catalog pattern to the service at ``path``.

    ``value`` picks one of the pattern's values (a broker, a gateway); a pattern
    with a single value needs none. ``data`` answers further questions, and may
    give the value as the answer to the pattern's question (``messaging=redis``);
    the questions of other patterns are refused (add those patterns instead).
    """
    catalog = load_catalog() if catalog is None else catalog
    pattern = get_pattern(pattern_id, catalog)
    extra = dict(data or {})
    value = _merge_value(pattern, value, extra.pop(pattern.question, None))
    others = {p.question for p in catalog.values()} & set(extra)
    if others:
        name = sorted(others)[0]
        raise InvalidInput(
            f"{name} belongs to other patterns; add them with `mio add`, one at a time"
        )
    answers = open_service(path).answers
    current = _current_answer(answers, pattern)
    chosen = _chosen_value(pattern, value)
    if isinstance(current, list):
        new_answer: Any = current if chosen in current else [*current, chosen]
    else:
        new_answer = chosen
    changes = {**extra, pattern.question: new_answer}
    sources = {pattern.question: f"`mio add {pattern.id}`"}
    return update_service(path, data=changes, sources=sources, bundle=bundle, dry_run=dry_run)


def remove_pattern(
    path: Path,
    pattern_id: str,
    *,
    catalog: Mapping[str, Pattern] | None = None,
    bundle: Path | None = None,
    dry_run: bool = False,
) -> UpdateReport:
    """Remove a catalog pattern from the service at ``path``."""
    catalog = load_catalog() if catalog is None else catalog
    pattern = get_pattern(pattern_id, catalog)
    answers = open_service(path).answers
    current = _current_answer(answers, pattern)
    if pattern not in selected_patterns(answers, catalog):
        raise InvalidInput(f"{path}: pattern {pattern_id!r} is not in this service")
    if isinstance(current, list):
        new_answer: Any = [item for item in current if item not in pattern.values]
    else:
        new_answer = NO_CHOICE
    return update_service(path, data={pattern.question: new_answer}, bundle=bundle, dry_run=dry_run)


def _current_answer(answers: Mapping[str, Any], pattern: Pattern) -> Any:
    if pattern.question not in answers:
        raise InvalidInput(
            f"this service's template version has no question {pattern.question!r}"
            f" for pattern {pattern.id!r}",
            hint="run `mio update` first to bring the service to the installed template",
        )
    return answers[pattern.question]


def _merge_value(pattern: Pattern, value: str | None, given: Any) -> str | None:
    """One value from ``--value`` and from the answer to the pattern's question, if any."""
    if given is None:
        return value
    if isinstance(given, list) and len(given) == 1:
        given = given[0]
    if not isinstance(given, str):
        raise InvalidInput(f"pattern {pattern.id!r}: give one value for {pattern.question}")
    if value is not None and value != given:
        raise InvalidInput(f"pattern {pattern.id!r}: two values given, {value!r} and {given!r}")
    return given


def _chosen_value(pattern: Pattern, value: str | None) -> str:
    if value is None:
        if len(pattern.values) == 1:
            return pattern.values[0]
        raise InvalidInput(
            f"pattern {pattern.id!r} needs a choice: --{pattern.question}"
            f" {'|'.join(pattern.values)}"
        )
    if value not in pattern.values:
        raise InvalidInput(
            f"pattern {pattern.id!r}: {pattern.question} must be one of"
            f" {', '.join(pattern.values)}; got {value!r}"
        )
    return value


def add_consumed_events(
    path: Path,
    events: list[str],
    *,
    contracts: list[Path] | None = None,
    bundle: Path | None = None,
    dry_run: bool = False,
) -> UpdateReport:
    """Make the service at ``path`` consume ``events`` (``orders.items.created``).

    Each event's fields are read from its producer's published contract (a sibling
    service folder's ``asyncapi.json``, or one in ``contracts``); the events it consumed
    already are read again, so their models follow their producers.
    """
    from scaffold.contracts import consumed_events

    service = open_service(path)
    answers = service.answers
    if answers.get("messaging", NO_CHOICE) == NO_CHOICE:
        raise InvalidInput(
            f"{path}: consuming events needs a broker", hint="mio add async-messaging first"
        )
    if "consumes" not in answers:
        raise InvalidInput(
            f"{path}: this service's template version cannot consume other services' events",
            hint="run `mio update` first to bring the service to the installed template",
        )
    wanted = list(dict.fromkeys([*answers.get("consumes", []), *events]))
    search = [service.path.parent, Path.cwd()]
    fields = consumed_events(wanted, search, contracts or [])
    changes = {"consumes": wanted, "consumed_events": fields}
    sources = {"consumes": "--consumes", "consumed_events": "the producers' asyncapi.json"}
    return update_service(path, data=changes, sources=sources, bundle=bundle, dry_run=dry_run)


def add_to_service(
    path: Path,
    pattern_id: str | None,
    *,
    value: str | None = None,
    flags: Mapping[str, str | None] | None = None,
    data: Sequence[str] = (),
    consumes: str | None = None,
    contracts: Sequence[Path] = (),
    dry_run: bool = False,
) -> UpdateReport:
    """`mio add`: a pattern (with its ``value``, the answers in ``flags`` that are given and
    ``KEY=VALUE`` ``data``), or else with ``consumes`` other services' events; one of the two."""
    if (pattern_id is None) == (consumes is None):
        raise InvalidInput("give a PATTERN, or --consumes EVENT")
    if consumes is not None:
        from scaffold.contracts import split_events

        return add_consumed_events(
            path, split_events(consumes), contracts=list(contracts), dry_run=dry_run
        )
    assert pattern_id is not None
    from scaffold.answers import parse_data

    answers = parse_data(list(data))
    answers.update({key: text for key, text in (flags or {}).items() if text})
    return add_pattern(path, pattern_id, value=value, data=answers, dry_run=dry_run)
