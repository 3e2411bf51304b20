"""`mio explain`: why a file (or a line) of a generated service exists.

Read from the template tree found at run time, not from a table: a file's template
source is found by matching its path against the template's paths (``{{ ... }}`` matches
any name, ``{% if ... %}name{% endif %}`` is the name when its condition holds), and a
line's source by matching its text against the template file's lines. The ``{% if %}``
conditions around them (in the path, or blocks around the line) are evaluated for every
choice of the questions they name, which tells the choices that bring the file or line in,
and the catalog's patterns for those choices.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.answers_file import ANSWERS_FILE, answers_file_or_none
from scaffold.catalog import Pattern, read_catalog
from scaffold.errors import InvalidInput

_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}|\{#.*?#\}", re.DOTALL)
_EXPR = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_ANSWERS_FILE_EXPR = re.compile(r"\{\{\s*_copier_conf\.answers_file\s*\}\}")


@dataclass(frozen=True)
class Condition:
    """One ``{% if %}`` a file or line depends on, and what it means in answers."""

    expression: str
    #: Where: the template path, or ``path:line`` of the ``{% if %}``.
    where: str
    #: The choices that bring the file or line in ((question, value) pairs); empty when it
    #: is there by default and goes with ``removed_by``.
    added_by: tuple[tuple[str, str], ...]
    removed_by: tuple[tuple[str, str], ...]
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    path: str
    line: int | None
    text: str | None
    #: The template file it comes from (relative to the template directory), or None.
    source: str | None
    source_line: int | None
    conditions: tuple[Condition, ...]
    #: The service's answers to the questions the conditions name (when known).
    answers: dict[str, Any]
    #: For each pattern involved: its catalog file and what it says it adds about this file.
    catalog: dict[str, dict[str, Any]]
    #: The help of each question the conditions name, from copier.yml.
    questions: dict[str, str]


@dataclass(frozen=True)
class TemplateTree:
    """A Copier template as found on disk: questions, files and the catalog beside it."""

    root: Path

    @property
    def settings(self) -> dict[str, Any]:
        import yaml

        data = yaml.safe_load((self.root / "copier.yml").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    @property
    def files_dir(self) -> Path:
        return self.root / str(self.settings.get("_subdirectory", ""))

    def choices(self) -> dict[str, tuple[list[Any], Any, bool]]:
        """Questions with choices: name -> (choice values, default, multiselect)."""
        found: dict[str, tuple[list[Any], Any, bool]] = {}
        for name, spec in self.settings.items():
            if name.startswith("_") or not isinstance(spec, dict) or "choices" not in spec:
                continue
            choices = spec["choices"]
            values = list(choices.values()) if isinstance(choices, dict) else list(choices)
            multiselect = bool(spec.get("multiselect"))
            default = spec.get("default", [] if multiselect else None)
            found[name] = (values, default, multiselect)
        return found

    def catalog(self) -> dict[str, Pattern]:
        directory = self.root / "patterns"
        return read_catalog(directory) if directory.is_dir() else {}


def explain(target: str, *, root: Path | None = None, cwd: Path | None = None) -> Explanation:
    """Explain ``PATH`` or ``PATH:LINE`` of a generated service (or a path a service would have)."""
    from scaffold.resources import resource_root

    tree = TemplateTree(resource_root() if root is None else root)
    file, line = _split_line(target, cwd or Path.cwd())
    service, relative = _service_of(file, target if line is None else target.rpartition(":")[0])
    answers = (answers_file_or_none(service) or {}) if service else {}
    answers_file = str(tree.settings.get("_answers_file", ANSWERS_FILE))
    source = _find_source(tree.files_dir, relative, answers_file, answers)
    choices = tree.choices()
    catalog = tree.catalog()
    conditions: list[Condition] = []
    text = source_line = None
    if source is not None:
        for component in Path(source).parts:
            for expression in _path_conditions(component):
                conditions.append(_condition(expression, source, choices, catalog))
    if line is not None:
        text = _line_of(file, line)
        if source is not None and source.endswith(".jinja") and text.strip():
            source_line, stack = _line_source(tree.files_dir / source, text, answers)
            for expression, at in stack:
                conditions.append(_condition(expression, f"{source}:{at}", choices, catalog))
    named = {q for c in conditions for q, _ in (*c.added_by, *c.removed_by)}
    return Explanation(
        path=relative,
        line=line,
        text=text,
        source=source,
        source_line=source_line,
        conditions=tuple(c for c in conditions if c.added_by or c.removed_by),
        answers={q: answers[q] for q in sorted(named) if q in answers},
        catalog=_catalog_notes(conditions, catalog, relative),
        questions={q: str(tree.settings[q].get("help", "")) for q in sorted(named)},
    )


# --- Finding the file and the service -------------------------------------------------------


def _split_line(target: str, cwd: Path) -> tuple[Path, int | None]:
    path, colon, number = target.rpartition(":")
    if colon and number.isdigit() and not (cwd / target).exists():
        if int(number) < 1:
            raise InvalidInput(f"{target}: lines are numbered from 1")
        return cwd / path, int(number)
    return cwd / target, None


def _service_of(file: Path, given: str) -> tuple[Path | None, str]:
    """The service holding ``file`` (nearest answers file above it) and the path within it;
    outside a service, the path as given, read as a path inside a service."""
    absolute = file.resolve()
    for parent in absolute.parents:
        if (parent / ANSWERS_FILE).is_file():
            return parent, absolute.relative_to(parent).as_posix()
    return None, Path(given).as_posix()


def _line_of(file: Path, line: int) -> str:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(f"{file}: not a text file mio can read") from None
    if line > len(lines):
        raise InvalidInput(f"{file} has {len(lines)} lines; there is no line {line}")
    return lines[line - 1]


def _component_pattern(component: str) -> tuple[re.Pattern[str], int]:
    """A regex matching what a template path component renders to, and its literal length."""
    parts = [_TAG.sub("", piece) for piece in _EXPR.split(component)]
    regex = "[^/]+?".join(re.escape(part) for part in parts)
    return re.compile(regex), sum(len(part) for part in parts)


def _find_source(
    files_dir: Path, relative: str, answers_file: str, answers: Mapping[str, Any]
) -> str | None:
    """The template file a service path comes from: among the matches whose path conditions
    hold for the service's answers (several sources may render to one name, one per
    choice), the one with the most literal text (a path made of expressions alone would
    match anything, so it matches nothing)."""
    wanted = Path(relative).parts
    best: tuple[bool, int, str] | None = None
    for file in files_dir.rglob("*"):
        if not file.is_file():
            continue
        source = file.relative_to(files_dir).as_posix()
        named = _ANSWERS_FILE_EXPR.sub(answers_file, source)
        parts = list(Path(named).parts)
        parts[-1] = parts[-1].removesuffix(".jinja")
        rendered = [p for p in parts if _TAG.sub("", _EXPR.sub("x", p))]  # empty names vanish
        if len(rendered) != len(wanted):
            continue
        score = 0
        for part, name in zip(rendered, wanted, strict=True):
            regex, literal = _component_pattern(part)
            if not regex.fullmatch(name):
                break
            score += literal
        else:
            conditions = (e for c in Path(source).parts for e in _path_conditions(c))
            holds = all(_true(expression, answers) for expression in conditions)
            if score and (best is None or (holds, score) > best[:2]):
                best = (holds, score, source)
    return None if best is None else best[2]


# --- Conditions ---------------------------------------------------------------------------


def _path_conditions(component: str) -> Iterator[str]:
    for match in _TAG.finditer(component):
        if match.group(1) in ("if", "elif"):
            yield match.group(2).strip()


def _line_source(
    source: Path, text: str, answers: Mapping[str, Any]
) -> tuple[int | None, list[tuple[str, int]]]:
    """The template line ``text`` comes from, and the ``{% if %}`` blocks around it."""
    template = source.read_text(encoding="utf-8")
    candidates: list[tuple[int, int, list[tuple[str, int]]]] = []
    for number, stack, literal_parts in _template_lines(template):
        regex = r"\s*" + r".*?".join(re.escape(p.strip()) for p in literal_parts) + r"\s*"
        literal = sum(len(p.strip()) for p in literal_parts)
        if literal and re.fullmatch(regex, text):
            candidates.append((literal, number, stack))
    if answers:  # the blocks that hold for this service, when several lines match
        holding = [c for c in candidates if all(_true(e, answers) for e, _ in c[2])]
        candidates = holding or candidates
    if not candidates:
        return None, []
    best = max(literal for literal, _, _ in candidates)
    _, number, stack = next(c for c in candidates if c[0] == best)
    return number, stack


def _template_lines(template: str) -> Iterator[tuple[int, list[tuple[str, int]], list[str]]]:
    """Each template line with text of its own: its number, the ``{% if %}`` stack at that
    text (expression, line of the tag) and its literal parts around ``{{ }}``."""
    stack: list[list[tuple[str, int]]] = []  # per open if: the branches so far
    for number, line in enumerate(template.splitlines(keepends=True), start=1):
        literal: list[str] = []
        text_seen = False
        at_text: list[tuple[str, int]] = []
        cursor = 0
        for match in _TAG.finditer(line):
            before = line[cursor : match.start()]
            if before.strip() and not text_seen:
                text_seen, at_text = True, _current(stack)
            literal.append(before)
            cursor = match.end()
            keyword, rest = match.group(1), (match.group(2) or "").strip()
            if keyword == "if":
                stack.append([(rest, number)])
            elif keyword == "elif" and stack:
                stack[-1].append((rest, number))
            elif keyword == "else" and stack:
                stack[-1].append(("", number))
            elif keyword == "endif" and stack:
                stack.pop()
        tail = line[cursor:]
        if tail.strip() and not text_seen:
            text_seen, at_text = True, _current(stack)
        literal.append(tail)
        if text_seen:
            pieces = [p for chunk in literal for p in _EXPR.split(chunk)]
            yield number, at_text, pieces


def _current(stack: list[list[tuple[str, int]]]) -> list[tuple[str, int]]:
    """The conditions in force: each open if's branch, as one expression."""
    conditions = []
    for branches in stack:
        *earlier, (expression, at) = branches
        negated = [f"not ({e})" for e, _ in earlier]
        if not negated:
            conditions.append((expression, at))
            continue
        parts = [*negated, f"({expression})"] if expression else negated
        conditions.append((" and ".join(parts), at))
    return conditions


def _true(expression: str, answers: Mapping[str, Any]) -> bool:
    try:
        return bool(_compile(expression)(**answers))
    except Exception:
        return True  # cannot tell: keep the candidate


def _compile(expression: str) -> Any:
    from jinja2 import Environment

    return Environment().compile_expression(expression)


def _condition(
    expression: str,
    where: str,
    choices: Mapping[str, tuple[list[Any], Any, bool]],
    catalog: Mapping[str, Pattern],
) -> Condition:
    """Which choices of the questions an expression names make it hold, against the defaults."""
    from jinja2 import Environment, meta

    names = meta.find_undeclared_variables(Environment().parse(f"{{{{ {expression} }}}}"))
    asked = sorted(name for name in names if name in choices)
    evaluate = _compile(expression)
    defaults = {name: choices[name][1] for name in asked}
    options = {name: _options(*choices[name]) for name in asked}

    def holds(answers: Mapping[str, Any]) -> bool:
        try:
            return bool(evaluate(**answers))
        except Exception:
            return False

    base = holds(defaults)
    flips: list[tuple[str, str]] = []
    for name in asked:  # one question away from the defaults at a time
        for value, shown in options[name]:
            if holds({**defaults, name: value}) != base:
                flips.append((name, shown))
    if not flips and asked:  # needs several questions at once: the smallest combinations
        for combination in itertools.product(*(options[name] for name in asked)):
            trial = {name: value for name, (value, _) in zip(asked, combination, strict=True)}
            if holds(trial) != base:
                flips += [
                    (n, shown)
                    for n, (v, shown) in zip(asked, combination, strict=True)
                    if v != defaults[n]
                ]
                break
    flips = list(dict.fromkeys(flips))
    patterns = tuple(
        pattern.id
        for pattern in catalog.values()
        if any(q == pattern.question and v in pattern.values for q, v in flips)
    )
    added, removed = (tuple(flips), ()) if not base else ((), tuple(flips))
    return Condition(expression, where, added, removed, patterns)


def _options(values: Sequence[Any], default: Any, multiselect: bool) -> list[tuple[Any, str]]:
    """Each single choice as an answer, and the value to show for it."""
    if multiselect:
        return [([value], str(value)) for value in values]
    return [(value, str(value)) for value in values if value != default]


def _catalog_notes(
    conditions: Sequence[Condition], catalog: Mapping[str, Pattern], relative: str
) -> dict[str, dict[str, Any]]:
    """For each pattern involved: where the catalog explains it, and its own words on this file."""
    name = Path(relative).name
    notes: dict[str, dict[str, Any]] = {}
    for pattern_id in dict.fromkeys(p for c in conditions for p in c.patterns):
        pattern = catalog[pattern_id]
        adds = pattern.adds
        for _, extra in pattern.adds_per_value:
            adds = adds + extra
        mentions = [f"{path}: {what}" for path, what in adds.files if Path(path).name == name]
        mentions += [item for item in adds.also if name in item]
        notes[pattern_id] = {
            "title": pattern.title,
            "catalog": f"patterns/{pattern_id}.toml",
            "show": f"mio patterns show {pattern_id}",
            "adds": mentions,
        }
    return notes
