"""A tiny two-release template history, for tests of the update engine that need many
services fast: a handful of files, rendered in milliseconds."""

from __future__ import annotations

import shutil
from pathlib import Path

from scaffold.history import offline_template, record_release
from scaffold.resources import TEMPLATE_SOURCE

OLD = "v0.1.0"
NEW = "v0.2.0"
#: In NEW: a line changes in CHANGED, DROPPED goes, ADDED comes.
CHANGED = "app.py"
CHANGED_LINE_OLD = "GREETING = 'hello'"
CHANGED_LINE_NEW = "GREETING = 'hello, world'"
DROPPED = "notes.txt"
ADDED = "CONTRIBUTING.md"

_COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
service_name:
  type: str
  help: The service's name.
"""
_ANSWERS = """\
# Written by Copier for mio.
{% for key, value in _copier_answers | dictsort -%}
{{ key }}: {{ value | to_json(ensure_ascii=False) }}
{% endfor -%}
"""
_OLD_FILES = {
    "{{_copier_conf.answers_file}}.jinja": _ANSWERS,
    "README.md.jinja": "# {{ service_name }}\n\nThe {{ service_name }} service.\n",
    CHANGED: f"{CHANGED_LINE_OLD}\n\n\ndef main() -> None:\n    print(GREETING)\n",
    DROPPED: "Notes kept by the template.\n",
    "uv.lock": "version = 1\n",
}


def _write(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(_COPIER_YML)
    for name, text in files.items():
        (root / "template" / name).write_text(text)


def tiny_history(work: Path) -> Path:
    """A bundle with OLD and NEW of the tiny template."""
    bundle = work / "tiny.bundle"
    root = work / "tiny-src"
    _write(root, _OLD_FILES)
    record_release(root, bundle, OLD)
    new_files = {name: text for name, text in _OLD_FILES.items() if name != DROPPED}
    new_files[CHANGED] = _OLD_FILES[CHANGED].replace(CHANGED_LINE_OLD, CHANGED_LINE_NEW)
    new_files[ADDED] = "# Contributing\n"
    _write(root, new_files)
    record_release(root, bundle, NEW)
    return bundle


def render_old(bundle: Path, destination: Path, name: str = "svc") -> Path:
    """A service rendered at OLD, recording mio's template source (not committed)."""
    from copier import run_copy

    with offline_template(bundle):
        run_copy(
            TEMPLATE_SOURCE,
            destination,
            data={"service_name": name},
            vcs_ref=OLD,
            defaults=True,
            quiet=True,
            unsafe=False,
        )
    return destination
