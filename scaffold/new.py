"""`mio new service`: from what the command was given to a created service.

The command's flags, ``--data`` and ``--consumes`` become one set of answers, each
with its source for error messages, validated before anything is rendered. The one
question only mio can answer, the events to consume (their fields come from the
producers' contracts, which only mio reads), is asked through ``ask_consumes`` when
a broker is chosen already; Copier asks the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scaffold.generate import CreatedService


def new_service(
    name: str,
    *,
    output: Path | None = None,
    flags: Mapping[str, str | None],
    data: Sequence[str] = (),
    consumes: str | None = None,
    contracts: Sequence[Path] = (),
    ask_consumes: Callable[[], str] | None = None,
    git_init: bool = True,
    lock: bool = True,
) -> CreatedService:
    """Create the service ``name`` in ``output`` (default ``./name``).

    ``flags`` maps question names to the text of their flags (None: not given);
    ``data`` holds ``KEY=VALUE`` answers. ``ask_consumes`` is given when the user can be
    asked (a terminal, no ``--defaults``): Copier then prompts for the questions left.
    """
    from scaffold.answers import parse_data, parse_flags, validate_answers
    from scaffold.contracts import consumed_events, split_events
    from scaffold.generate import create_service

    raw: dict[str, Any] = parse_data(list(data))
    sources = dict.fromkeys(raw, "--data")
    answers, flag_sources = parse_flags(dict(flags))
    raw.update(answers)
    sources.update(flag_sources)
    raw["service_name"] = name
    sources["service_name"] = "the NAME argument"
    destination = output if output is not None else Path(name)
    events = split_events(consumes) if consumes is not None else raw.get("consumes")
    if events is None and ask_consumes is not None:
        # Copier never asks this: mio does when a broker is chosen already; otherwise
        # `mio add --consumes` later.
        wanted = raw.get("messaging") not in (None, "none")
        events = split_events(ask_consumes() if wanted else "")
    if events is not None:  # answered here, so Copier does not ask again
        raw["consumes"] = events
        sources["consumes"] = "--consumes"
        if "consumed_events" not in raw:
            search = [Path(os.path.abspath(destination)).parent, Path.cwd()]
            raw["consumed_events"] = consumed_events(events, search, list(contracts))
    valid = validate_answers(raw, sources=sources)
    return create_service(
        valid, destination, defaults=ask_consumes is None, git_init=git_init, lock=lock
    )


def created_summary(created: CreatedService) -> str:
    """What `mio new service` prints: where the service is, what it holds, what next."""
    from scaffold.catalog import selected_patterns

    answers = created.answers
    chosen = ", ".join(p.id for p in selected_patterns(answers)) or "none (timeouts are always on)"
    try:
        shown = created.path.relative_to(Path.cwd())
    except ValueError:
        shown = created.path
    return "\n".join(
        [
            f"Created service {answers['service_name']} in {shown} (template {created.version}).",
            f"  package: {answers['package_name']}   settings prefix: {answers['env_prefix']}",
            f"  patterns: {chosen}",
            f"  files: {len(created.files)}",
            "",
            "Next:",
            f"  cd {shown} && python -m pip install -e '.[dev]'   (or: uv sync --extra dev)",
            "  pytest",
        ]
    )
