"""Template histories built on the fly: the current template as v0.1.0, a changed copy as v0.2.0."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import ROOT

from scaffold.history import record_release

PACKAGE = "src/{{package_name}}"
#: What v0.2.0 changes, for the tests to refer to.
CHANGED_FILE = "src/orders/health.py"
CHANGED_LINE_OLD = "The process is alive. Checks no dependency"
CHANGED_LINE_NEW = "Liveness only. Checks no dependency"
RENAMED = ("src/orders/middleware.py", "src/orders/http_middleware.py")
DROPPED = ".dockerignore"
ADDED = "CONTRIBUTING.md"


def copy_template(destination: Path) -> Path:
    """A copy of this checkout's template (copier.yml and template/)."""
    destination.mkdir(parents=True)
    shutil.copy2(ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(ROOT / "template", destination / "template",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def make_v2(root: Path) -> None:
    """v0.2.0: one changed line, one renamed file, one dropped file, one added file."""
    template = root / "template"
    edit(template / PACKAGE / "health.py", CHANGED_LINE_OLD, CHANGED_LINE_NEW)
    (template / PACKAGE / "middleware.py").rename(template / PACKAGE / "http_middleware.py")
    for name in ("app.py.jinja", "outbound.py"):
        edit(template / PACKAGE / name, "from .middleware import", "from .http_middleware import")
    (template / DROPPED).unlink()
    (template / ADDED).write_text("# Contributing\n\nRun `pytest`, `ruff check .` and `mypy`.\n")


def two_version_history(work: Path) -> Path:
    """A bundle holding v0.1.0 (this checkout's template) and v0.2.0 (:func:`make_v2`)."""
    bundle = work / "history.bundle"
    root = copy_template(work / "template-src")
    record_release(root, bundle, "v0.1.0")
    make_v2(root)
    record_release(root, bundle, "v0.2.0")
    return bundle
