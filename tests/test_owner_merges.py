"""Owners and patterns edit the same files; their edits merge without conflict.

An owner adds dependencies of their own under the "Yours" line of `pyproject.toml`'s
dependency list; `mio add` and `mio remove` change the template's lines above it. Both
kinds of edit land in one file with no conflict, whichever pattern comes or goes.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from helpers import git
from scaffold.catalog import load_catalog
from scaffold.change import add_pattern, remove_pattern
from scaffold.generate import create_service

OWN_DEPENDENCY = "tomli-w>=1.0"


@pytest.fixture(autouse=True)
def _this_template(checkout_history: Path) -> None:
    """Services made from this checkout's template (see conftest.checkout_history)."""


def dependencies(project: Path) -> list[str]:
    text = (project / "pyproject.toml").read_text()
    names: list[str] = tomllib.loads(text)["project"]["dependencies"]
    return names


def commit(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


@pytest.mark.parametrize(
    ("pattern_id", "value", "dependency"),
    [
        ("retry", "retry", "stamina>=25.1"),
        ("rate-limit", "rate-limit", "aiolimiter>=1.1,<2"),
        ("async-messaging", "nats", "nats-py>=2.10,<2.15"),
    ],
)
def test_an_owners_dependency_and_a_patterns_merge_without_conflict(
    pattern_id: str, value: str, dependency: str, tmp_path: Path
) -> None:
    project = create_service({"service_name": "orders"}, tmp_path / "orders").path
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert text.count("    # Yours\n") == 1
    pyproject.write_text(text.replace("    # Yours\n", f'    # Yours\n    "{OWN_DEPENDENCY}",\n'))
    commit(project, "our own dependency")
    catalog = load_catalog()

    added = add_pattern(project, pattern_id, value=value, catalog=catalog)

    assert added.exit_code == 0 and added.conflicts == []
    assert "<<<<<<<" not in pyproject.read_text()
    assert {OWN_DEPENDENCY, dependency} <= set(dependencies(project))
    commit(project, f"add {pattern_id}")

    removed = remove_pattern(project, pattern_id, catalog=catalog)

    assert removed.exit_code == 0 and removed.conflicts == []
    assert OWN_DEPENDENCY in dependencies(project)
    assert dependency not in dependencies(project)
