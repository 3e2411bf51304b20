"""Published contracts: the events a service sends, read from its ``asyncapi.json``.

Every messaging service keeps its contract in its repository (the file is rendered by
the template, and a test in the service keeps it current). A service that consumes
another's events (``mio new service billing --consumes orders.items.created``) gets
the event's fields from the producer's contract: mio records them in the
``consumed_events`` answer, so the template renders the model and ``mio update``
renders it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.answers_file import answers_file_or_none
from scaffold.errors import InvalidInput

CONTRACT_FILE = "asyncapi.json"

#: JSON Schema (type, format) -> the field types of ``consumed_events`` in copier.yml.
_KINDS = {
    ("string", None): "string",
    ("string", "uuid"): "uuid",
    ("string", "date-time"): "date-time",
    ("string", "date"): "date",
    ("integer", None): "integer",
    ("number", None): "number",
    ("boolean", None): "boolean",
    ("array", None): "array",
    ("object", None): "object",
}


@dataclass(frozen=True)
class Contract:
    """One service's published events: address -> {field: type}."""

    service: str
    path: Path
    events: dict[str, dict[str, str]]


def read_contract(path: Path) -> Contract:
    """Read an AsyncAPI 3.0 document's send operations (or, lacking any, its channels)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: not a readable AsyncAPI document ({error})") from None
    if not isinstance(doc, dict) or not str(doc.get("asyncapi", "")).startswith("3."):
        raise InvalidInput(f"{path}: not an AsyncAPI 3 document")
    channels = doc.get("channels") or {}
    sent = [
        _ref_name(op.get("channel", {}).get("$ref", ""))
        for op in (doc.get("operations") or {}).values()
        if isinstance(op, dict) and op.get("action") == "send"
    ]
    events: dict[str, dict[str, str]] = {}
    for key in sent or list(channels):
        channel = channels.get(key)
        if not isinstance(channel, dict):
            continue
        address = channel.get("address") or key
        for message in (channel.get("messages") or {}).values():
            schema = _resolve(doc, _resolve(doc, message).get("payload", {}))
            events[address] = _fields(schema, f"{path}: {address}")
    title = str((doc.get("info") or {}).get("title", path.parent.name))
    return Contract(title, path, events)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(doc: Mapping[str, Any], node: Any) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


def _fields(schema: Mapping[str, Any], where: str) -> dict[str, str]:
    fields = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = _KINDS.get((spec.get("type"), spec.get("format")))
        kind = kind or _KINDS.get((spec.get("type"), None))
        if kind is None:
            raise InvalidInput(
                f"{where}: field {name!r} has a type mio cannot model ({spec!r});"
                f" supported: {', '.join(sorted(set(_KINDS.values())))}"
            )
        fields[name] = kind
    return fields


def service_name_of(directory: Path) -> str | None:
    """The service name in a directory's answers file, or None."""
    data = answers_file_or_none(directory)
    name = data.get("service_name") if data is not None else None
    return str(name) if name else None


def find_contract(producer: str, search: Iterable[Path], given: Sequence[Path] = ()) -> Contract:
    """The producer's contract: one given (a file, or a service folder), else the folder
    of a service named ``producer`` among the directories in ``search`` and their children."""
    for path in given:
        file = path / CONTRACT_FILE if path.is_dir() else path
        contract = read_contract(file)
        if contract.service == producer:
            return contract
    looked: list[str] = []
    for base in search:
        if not base.is_dir():
            continue
        looked.append(str(base))
        for candidate in [base, *sorted(p for p in base.iterdir() if p.is_dir())]:
            if service_name_of(candidate) == producer and (candidate / CONTRACT_FILE).is_file():
                return read_contract(candidate / CONTRACT_FILE)
    raise InvalidInput(
        f"no published contract of service {producer!r}: no {CONTRACT_FILE} given"
        f" (--contract) and none in a service folder under {', '.join(looked) or 'nothing'}",
        hint=f"give the producer's contract: --contract path/to/{producer}/{CONTRACT_FILE}",
    )


def split_events(text: str) -> list[str]:
    """``orders.items.created, shipping.parcels.sent`` -> the event names."""
    return [event.strip() for event in text.split(",") if event.strip()]


def consumed_events(
    events: Sequence[str], search: Iterable[Path], given: Sequence[Path] = ()
) -> list[dict[str, Any]]:
    """The ``consumed_events`` answer for ``events``: each with the fields its producer sends."""
    search = list(search)
    answer = []
    for event in events:
        producer = event.split(".", 1)[0]
        contract = find_contract(producer, search, given)
        if event not in contract.events:
            sent = ", ".join(sorted(contract.events)) or "nothing"
            raise InvalidInput(
                f"{event}: {producer}'s contract ({contract.path}) publishes no such event;"
                f" it publishes {sent}"
            )
        answer.append({"event": event, "fields": contract.events[event]})
    return answer
