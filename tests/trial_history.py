"""Template histories built on the fly: this checkout's template, and changed copies of it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from helpers import ROOT
from scaffold.history import record_release
from scaffold.resources import template_tag
from scaffold.versions import parse_version

PACKAGE = "src/{{package_name}}"
#: The released version services are made at, and the trial version after it.
BASE = template_tag()
_major, _minor = parse_version(BASE).release[:2]
NEXT = f"v{_major}.{_minor + 1}.0"
#: What NEXT changes, for the tests to refer to.
CHANGED_FILE = "src/orders/web/health.py"
CHANGED_LINE_OLD = "The process is alive. Checks no dependency"
CHANGED_LINE_NEW = "Liveness only. Checks no dependency"
RENAMED = ("src/orders/web/request_id.py", "src/orders/web/correlation.py")
#: The renamed file also changes its first line.
RENAMED_LINE_OLD = "Request ids, by asgi-correlation-id."
RENAMED_LINE_NEW = "Correlation: request ids, by asgi-correlation-id."
DROPPED = ".dockerignore"
ADDED = "CONTRIBUTING.md"


def copy_template(destination: Path) -> Path:
    """A copy of this checkout's template (copier.yml, data/ and template/)."""
    destination.mkdir(parents=True)
    shutil.copy2(ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(ROOT / "data", destination / "data")
    shutil.copytree(
        ROOT / "template", destination / "template", ignore=shutil.ignore_patterns("__pycache__")
    )
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def make_v2(root: Path) -> None:
    """NEXT: one changed line, one renamed file, one dropped file, one added file."""
    template = root / "template"
    web = template / PACKAGE / "web"
    edit(web / "health.py", CHANGED_LINE_OLD, CHANGED_LINE_NEW)
    (web / "request_id.py").rename(web / "correlation.py")
    edit(web / "correlation.py", RENAMED_LINE_OLD, RENAMED_LINE_NEW)
    # `from .web.request_id import`, `from ..web.request_id import`, `orders.web.request_id`...
    importer = re.compile(r"(\.web\.|from \.+)request_id\b")
    importers = [
        path
        for path in template.rglob("*.*")
        if path.suffix in {".py", ".jinja"} and importer.search(path.read_text())
    ]
    assert importers, "no module imports the renamed web/request_id.py"
    for path in importers:
        path.write_text(importer.sub(r"\1correlation", path.read_text()))
    (template / DROPPED).unlink()
    (template / ADDED).write_text("# Contributing\n\nRun `pytest`, `ruff check .` and `mypy`.\n")


def two_version_history(work: Path) -> Path:
    """A bundle holding BASE (this checkout's template) and NEXT (:func:`make_v2`)."""
    bundle = work / "history.bundle"
    root = copy_template(work / "template-src")
    record_release(root, bundle, BASE)
    make_v2(root)
    record_release(root, bundle, NEXT)
    return bundle


def broken_history(work: Path) -> Path:
    """A bundle whose NEXT is :func:`make_v2` with a file that fails to render, late in the tree."""
    bundle = work / "broken.bundle"
    root = copy_template(work / "broken-src")
    record_release(root, bundle, BASE)
    make_v2(root)
    (root / "template" / "tests" / "test_zz_broken.py.jinja").write_text("{{ 1 + }}\n")
    record_release(root, bundle, NEXT)
    return bundle
