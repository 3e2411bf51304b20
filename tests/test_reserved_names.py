"""The reserved names are those of the real dependency closure of a generated service.

data/reserved-names.yml is derived (scripts/reserved_names.py) from the resolved
dependencies of tests/service-requirements.txt, which lists every dependency a service
can have over every pattern combination. This test derives them again in the shared
service environment and fails when the closure has gained a name the file lacks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from helpers import ROOT

DATA_FILE = ROOT / "data" / "reserved-names.yml"
REQUIREMENTS = ROOT / "tests" / "service-requirements.txt"


def derived_names(python: Path, requirements: Path = REQUIREMENTS) -> dict[str, list[str]]:
    result = subprocess.run(
        [
            str(python),
            str(ROOT / "scripts" / "reserved_names.py"),
            "--print",
            "--requirements",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names: dict[str, list[str]] = json.loads(result.stdout)
    return names


def missing_names(python: Path, requirements: Path = REQUIREMENTS) -> dict[str, list[str]]:
    recorded = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    derived = derived_names(python, requirements)
    return {key: sorted(set(derived[key]) - set(recorded[key])) for key in derived}


def test_the_file_holds_every_name_of_the_closure(service_python: Path) -> None:
    missing = missing_names(service_python)
    fix = "run scripts/reserved_names.py with the service environment's python"
    assert missing == {"modules": [], "distributions": []}, fix


def test_the_closure_reaches_indirect_dependencies(service_python: Path) -> None:
    names = derived_names(service_python)
    # indirect: through uvicorn[standard], fastapi, pytest, pydantic-settings
    assert {"h11", "uvloop", "click", "httptools", "pluggy", "iniconfig", "dotenv"} <= set(
        names["modules"]
    )
    assert {"python-dotenv", "annotated-types", "typing-extensions", "pip"} <= set(
        names["distributions"]
    )
