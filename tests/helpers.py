"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from scaffold.resources import resource_root

ROOT = Path(__file__).resolve().parent.parent
MYPY_CACHE = ROOT / ".cache" / "mypy"


def run_in(
    python: Path, project: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <args>`` inside a generated project.

    mypy shares one cache across projects, so third-party packages are analysed once.
    """
    return subprocess.run(
        [str(python), "-m", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"MYPY_CACHE_DIR": str(MYPY_CACHE), **os.environ, **(env or {})},
        timeout=timeout,
    )


def run_service_tests(
    python: Path, project: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The generated project's own test suite, on the shared environment."""
    return run_in(python, project, "pytest", "-q", "-p", "no:cacheprovider", *extra, env=env)


def git(project: Path, *args: str) -> str:
    """Run git in ``project``; its output, or a failed assertion with git's error."""
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{result.args}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )


def render(copie: Any, **answers: Any) -> Path:
    """Render the working-tree template with pytest-copie; fail loudly on any error."""
    result = copie.copy(extra_answers={"service_name": "orders", **answers})
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return Path(result.project_dir)


def tree(path: Path) -> set[str]:
    """Every path under ``path`` (relative), for before/after comparisons."""
    return {str(p.relative_to(path)) for p in path.rglob("*")}


_SETTINGS_DUMP = """
import json, sys
from importlib import import_module

settings = import_module(sys.argv[1] + ".settings")
fields = settings.Settings.model_fields
print(json.dumps({
    settings.ENV_PREFIX + name.upper(): field.get_default(call_default_factory=True)
    for name, field in fields.items()
}))
"""


def service_settings(python: Path, project: Path, package: str = "orders") -> dict[str, Any]:
    """Every setting of a rendered service, by environment variable: its default.

    Read from the service's own ``Settings`` class, imported in the services' environment.
    """
    settings: dict[str, Any] = in_service(python, project, "-c", _SETTINGS_DUMP, package)
    return settings


def in_service(python: Path, project: Path, *args: str | Path, timeout: int = 120) -> Any:
    """Run ``python ARGS`` in a generated service (its ``src`` importable): the JSON of the
    last line it prints, or a failed assertion with its output."""
    result = subprocess.run(
        [str(python), *map(str, args)],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        timeout=timeout,
    )
    assert_ok(result)
    return json.loads(result.stdout.strip().splitlines()[-1])


assert resource_root() == ROOT, "tests must run against the checkout"


def build_file_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path relative to ``root`` -> text) under ``root``; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
