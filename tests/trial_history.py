"""Template histories built on the fly: this checkout's template, and changed copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from helpers import ROOT
from scaffold.history import record_release, version_key
from scaffold.resources import template_tag

PACKAGE = "src/{{package_name}}"
#: The released version services are made at, and the trial version after it.
BASE = template_tag()
_major, _minor = version_key(BASE)[:2]
NEXT = f"v{_major}.{_minor + 1}.0"
#: What NEXT changes, for the tests to refer to.
CHANGED_FILE = "src/orders/health.py"
CHANGED_LINE_OLD = "The process is alive. Checks no dependency"
CHANGED_LINE_NEW = "Liveness only. Checks no dependency"
RENAMED = ("src/orders/middleware.py", "src/orders/http_middleware.py")
#: The renamed file also changes its first line.
RENAMED_LINE_OLD = "ASGI middleware: request ids"
RENAMED_LINE_NEW = "HTTP middleware: request ids"
DROPPED = ".dockerignore"
ADDED = "CONTRIBUTING.md"


def copy_template(destination: Path) -> Path:
    """A copy of this checkout's template (copier.yml and template/)."""
    destination.mkdir(parents=True)
    shutil.copy2(ROOT / "copier.yml", destination / "copier.yml")
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
    edit(template / PACKAGE / "health.py", CHANGED_LINE_OLD, CHANGED_LINE_NEW)
    (template / PACKAGE / "middleware.py").rename(template / PACKAGE / "http_middleware.py")
    edit(template / PACKAGE / "http_middleware.py", RENAMED_LINE_OLD, RENAMED_LINE_NEW)
    importers = [
        path
        for path in (template / PACKAGE).rglob("*")
        if path.is_file() and "from .middleware import" in path.read_text()
    ]
    assert importers, "no module imports the renamed middleware"
    for path in importers:
        edit(path, "from .middleware import", "from .http_middleware import")
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


#: Two small patterns of a demo catalog: a single-choice one and a multiselect one.
DEMO_CATALOG = {
    "demo-queue": {"question": "messaging", "values": ["demo-queue"]},
    "demo-retry": {"question": "resilience", "values": ["demo-retry"]},
}
DEMO_QUEUE_FILE = "src/orders/queue.py"
DEMO_RETRY_FILE = "src/orders/retry_policy.py"
DEMO_DEPENDENCY = '"demo-queue-client>=1",'


def demo_pattern_history(work: Path) -> tuple[Path, Path]:
    """A template (BASE) with the demo patterns, and their catalog: ``(bundle, catalog_dir)``.

    demo-queue adds a conditional file and a dependency line; demo-retry adds a file.
    """
    root = copy_template(work / "demo-src")
    config = yaml.safe_load((root / "copier.yml").read_text())
    config["messaging"]["choices"]["demo-queue"] = "demo-queue"
    config["resilience"]["choices"]["demo-retry"] = "demo-retry"
    (root / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    package = root / "template" / PACKAGE
    queue = package / "{% if messaging == 'demo-queue' %}queue.py{% endif %}.jinja"
    queue.write_text('"""The {{ service_name }} queue."""\n\nQUEUE = "{{ service_name }}-events"\n')
    retry = package / "{% if 'demo-retry' in resilience %}retry_policy.py{% endif %}"
    retry.write_text('"""How often outbound calls are tried."""\n\nATTEMPTS = 3\n')
    edit(
        root / "template" / "pyproject.toml.jinja",
        "dependencies = [\n",
        "dependencies = [\n"
        f"{{% if messaging == 'demo-queue' %}}    {DEMO_DEPENDENCY}\n{{% endif %}}",
    )
    bundle = work / "demo.bundle"
    record_release(root, bundle, BASE)
    catalog = work / "demo-patterns"
    catalog.mkdir()
    for pattern_id, spec in DEMO_CATALOG.items():
        values = ", ".join(f'"{value}"' for value in spec["values"])
        (catalog / f"{pattern_id}.toml").write_text(
            f'id = "{pattern_id}"\ntitle = "{pattern_id}"\nsummary = "A demo pattern."\n'
            f'question = "{spec["question"]}"\nvalues = [{values}]\n'
        )
    return bundle, catalog


def broken_history(work: Path) -> Path:
    """A bundle whose NEXT is :func:`make_v2` with a file that fails to render, late in the tree."""
    bundle = work / "broken.bundle"
    root = copy_template(work / "broken-src")
    record_release(root, bundle, BASE)
    make_v2(root)
    (root / "template" / "tests" / "test_zz_broken.py.jinja").write_text("{{ 1 + }}\n")
    record_release(root, bundle, NEXT)
    return bundle
