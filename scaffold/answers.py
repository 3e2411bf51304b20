"""The rules every answer goes through, whatever its source: those of ``copier.yml``.

``copier.yml`` decides what a valid answer is: each question's ``type`` (how a typed
text becomes a value), its ``choices`` and its ``validator`` (a Jinja template that
renders an error message, or nothing). Copier applies them at its prompts and to its
``--data``; mio applies the very same ones, with the same casts and a Jinja
environment set up as Copier sets up its own, to flags, ``--data`` and answers files
before anything is written. Rules that need data (the reserved names) live in
``data/reserved-names.yml``, which the validators read.

An answer that breaks a rule is an :class:`InvalidInput` naming the question, the
value, the rule and where the answer came from (a flag, ``--data``, an answers file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from scaffold.errors import InvalidAnswer, InvalidInput
from scaffold.resources import copier_yml, resource_root

#: Where an answer came from when nobody says: shown in error messages.
DATA_SOURCE = "--data"
_SHOWN_VALUE_LIMIT = 60


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    #: The values of the choices (not their labels), or None.
    choices: tuple[Any, ...] | None
    multiselect: bool
    default: Any
    #: The ``validator`` template, or None.
    validator: str | None = None


@cache
def load_copier_yml() -> dict[str, Any]:
    loaded: dict[str, Any] = _load_yaml(copier_yml().read_text(encoding="utf-8"))
    return loaded


def _load_yaml(text: str) -> Any:
    import yaml  # Copier depends on PyYAML; imported here to keep `mio --help` fast.

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml


@cache
def load_questions() -> dict[str, Question]:
    """The questions of ``copier.yml`` that a user answers (not settings, not computed)."""
    return {q.name: q for q in _all_questions() if not q.name.startswith("_") and _asked(q.name)}


def _asked(name: str) -> bool:
    spec = load_copier_yml()[name]
    return not (isinstance(spec, dict) and spec.get("when") is False)


@cache
def _all_questions() -> tuple[Question, ...]:
    """Every question of ``copier.yml``, computed ones included, in its order."""
    questions = []
    for name, spec in load_copier_yml().items():
        if name.startswith("_") or not isinstance(spec, dict):
            continue
        choices = spec.get("choices")
        if isinstance(choices, dict):
            choices = list(choices.values())
        questions.append(
            Question(
                name=name,
                type=spec.get("type", "str"),
                help=spec.get("help", ""),
                choices=tuple(choices) if choices is not None else None,
                multiselect=bool(spec.get("multiselect", False)),
                default=spec.get("default"),
                validator=spec.get("validator"),
            )
        )
    return tuple(questions)


def choice_values(name: str) -> tuple[str, ...]:
    """The values a question with choices takes, as text (for help and completion)."""
    question = load_questions()[name]
    return tuple(str(choice) for choice in question.choices or ())


# --- Typed text -------------------------------------------------------------------


def _cast_to_bool(value: Any) -> bool:
    """Copier's cast for ``type: bool``: numbers, YAML booleans and nulls, then ``bool()``."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        lower = value.strip().lower()
        if lower in {"", "n", "no", "f", "false", "off", "~", "null", "none"}:
            return False
        if lower in {"y", "yes", "t", "true", "on"}:
            return True
    return bool(value)


def _cast_to_str(value: Any) -> str:
    """Copier's cast for ``type: str``: text, or a number written out; nothing else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode()
    raise ValueError("must be text")


def _parse_yaml(text: Any) -> Any:
    import yaml

    return yaml.safe_load(text) if isinstance(text, str) else text


def _parse_json(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str | bytes) else text


def _to_int(value: Any) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a whole number")
    return int(value)


#: How Copier turns an answer into a value of each question type.
_CASTS: dict[str, Callable[[Any], Any]] = {
    "bool": _cast_to_bool,
    "float": float,
    "int": _to_int,
    "json": _parse_json,
    "str": _cast_to_str,
    "yaml": _parse_yaml,
    "path": str,
}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "yes or no",
    "json": "JSON",
    "yaml": "YAML",
    "str": "text",
    "path": "a path",
}


def _yaml_list(text: str) -> list[str] | None:
    """The items of a YAML flow or block list, each as the raw text typed (as Copier does)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.SequenceNode):
        return None
    items = []
    for item in node.value:
        raw = text[item.start_mark.index : item.end_mark.index].strip()
        if isinstance(item, yaml.ScalarNode) and raw[:1] in "\"'" and raw[-1:] == raw[:1]:
            raw = raw[1:-1]
        items.append(raw)
    return items


def parse_text(question: Question, text: str, source: str) -> Any:
    """The value a typed text gives ``question``, cast as Copier casts its ``--data``.

    Text questions keep exactly the text typed; ``int``, ``float``, ``bool``, ``json``
    and ``yaml`` questions parse it. A multiselect takes a YAML list (``[retry,
    fallback]``) or, as mio's flags do, comma-separated values (``retry,fallback``).
    """
    if question.multiselect:
        items = _yaml_list(text)
        if items is None:
            items = [part.strip() for part in text.split(",") if part.strip()]
        return [_cast(question, item, source) for item in items]
    return _cast(question, text, source)


def _cast(question: Question, value: Any, source: str) -> Any:
    if value is None and question.type not in {"json", "yaml"}:
        raise _invalid(question.name, value, source, _type_rule(question))
    try:
        return _CASTS[question.type](value)
    except (TypeError, ValueError, ArithmeticError) as exc:
        if question.type in {"json", "yaml"}:
            if isinstance(exc, TypeError):
                return value
            raise _invalid(
                question.name,
                value,
                source,
                f"{question.name} must be valid {question.type.upper()}",
            ) from None
        raise _invalid(question.name, value, source, _type_rule(question)) from None
    except Exception:  # a YAML or JSON syntax error
        raise _invalid(
            question.name, value, source, f"{question.name} must be valid {question.type.upper()}"
        ) from None


def _type_rule(question: Question) -> str:
    return f"{question.name} must be {_TYPE_WORDS.get(question.type, question.type)}"


def parse_data(items: list[str], source: str = DATA_SOURCE) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` items into answers, each value cast by its question's type."""
    questions = load_questions()
    data: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"{source} takes KEY=VALUE, got {item!r}")
        question = questions.get(key)
        if question is None:
            raise InvalidAnswer(f"{key}={_shown(value)} from {source}: {_unknown_rule(key)}")
        data[key] = parse_text(question, value, source)
    return data


def parse_flags(flags: Mapping[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers given by options named after questions (``--http-port 9000``), and their sources."""
    questions = load_questions()
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, text in flags.items():
        if text is None:
            continue
        flag = "--" + name.replace("_", "-")
        answers[name] = parse_text(questions[name], text, flag)
        sources[name] = flag
    return answers, sources


# --- Rules ------------------------------------------------------------------------


def validate_answers(
    raw: Mapping[str, Any],
    *,
    sources: Mapping[str, str] | None = None,
    source: str = DATA_SOURCE,
    require_name: bool = True,
    ignore_unknown: bool = False,
) -> dict[str, Any]:
    """Check every answer in ``raw`` against ``copier.yml``; return them cast for Copier.

    Each answer's source is ``sources[name]``, else ``source``. Unknown questions are
    refused, or skipped with ``ignore_unknown`` (an answers file may hold the answers
    of questions a template version no longer asks).
    """
    questions = load_questions()
    where = {name: (sources or {}).get(name, source) for name in raw}
    for name in raw:
        if name not in questions and not ignore_unknown:
            raise _invalid(name, raw[name], where[name], _unknown_rule(name))
    if require_name and "service_name" not in raw:
        raise InvalidInput("service_name is required")
    answers: dict[str, Any] = {}
    context: dict[str, Any] = {}
    for question in _all_questions():
        name = question.name
        if name in raw and name in questions:
            value = _check(question, raw[name], where[name], context)
            answers[name] = context[name] = value
        elif question.default is not None:
            context[name] = _default(question, context)
    return answers


def _check(question: Question, value: Any, source: str, context: Mapping[str, Any]) -> Any:
    """One answer through its question's cast, choices and validator, as Copier does."""
    name = question.name
    if question.multiselect:
        if isinstance(value, str):
            items = _yaml_list(value)
            if items is None:
                raise _invalid(name, value, source, f"{name} must be a list of choices")
            value = items
        if not isinstance(value, list | tuple):
            raise _invalid(name, value, source, f"{name} must be a list of choices")
        cast = [_cast(question, item, source) for item in value]
        for item in cast:
            _check_choice(question, item, source)
        value = list(dict.fromkeys(cast))
    else:
        value = _cast(question, value, source)
        _check_choice(question, value, source)
    if question.validator:
        message = _render(question.validator, {**context, name: value})
        if message:
            raise _invalid(name, value, source, message)
    return value


def _check_choice(question: Question, value: Any, source: str) -> None:
    if question.choices is None:
        return
    allowed = [_cast(question, choice, "copier.yml") for choice in question.choices]
    if value not in allowed:
        listed = ", ".join(str(choice) for choice in allowed)
        raise _invalid(question.name, value, source, f"{question.name} must be one of: {listed}")


def _default(question: Question, context: Mapping[str, Any]) -> Any:
    default = question.default
    if isinstance(default, str) and ("{{" in default or "{%" in default):
        try:
            default = _render(default, context)
        except Exception:  # a default that needs answers not given: leave it to Copier
            return None
    try:
        return _CASTS[question.type](default)
    except Exception:
        return default


def _render(template: str, context: Mapping[str, Any]) -> str:
    """Render a ``copier.yml`` template; an error while rendering is the rule's message."""
    try:
        text = _jinja().from_string(template).render(**context)
    except Exception as exc:
        text = str(exc)
    return " ".join(text.split())


@cache
def _jinja() -> Any:
    """A Jinja environment like the one Copier renders ``copier.yml`` with.

    Same sandbox, same filters (jinja2-ansible-filters), same ``_envops``, and templates
    loaded from the template's root (where ``copier.yml`` and ``data/`` are).
    """
    from jinja2 import FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment

    envops = dict(load_copier_yml().get("_envops") or {})
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(str(resource_root())),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        **envops,
    )
    environment.filters["from_yaml"] = _from_yaml
    return environment


def _from_yaml(data: Any) -> Any:
    """The ``from_yaml`` filter, with each text parsed once per run.

    The validators parse ``data/reserved-names.yml`` every time they run (about 7 ms
    with the pure-Python loader); the same text gives the same data, which the
    validators only read, so mio parses it once, with libyaml when available.
    """
    return _parsed_yaml(str(data)) if isinstance(data, str) else data


@cache
def _parsed_yaml(text: str) -> Any:
    return _load_yaml(text)


def _unknown_rule(name: str) -> str:
    known = ", ".join(load_questions())
    return f"unknown question {name!r}; questions are: {known}"


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > _SHOWN_VALUE_LIMIT:
        text = text[: _SHOWN_VALUE_LIMIT - 3] + "..."
    return text


def _invalid(name: str, value: Any, source: str, rule: str) -> InvalidAnswer:
    return InvalidAnswer(f"{name}={_shown(value)} from {source}: {rule}")
