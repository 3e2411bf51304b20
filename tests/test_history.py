"""The template history shipped in the package is the template in this checkout."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

from helpers import ROOT
from scaffold import __version__
from scaffold.history import released_versions
from scaffold.resources import HISTORY_BUNDLE, template_tag


def _differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [*comparison.left_only, *comparison.right_only, *comparison.diff_files]
    found += [
        str(Path(name) / d)
        for name, sub in comparison.subdirs.items()
        for d in _differences(left / name, right / name)
    ]
    return found


def test_newest_release_is_the_current_version() -> None:
    versions = released_versions()
    assert versions, "no template history: run scripts/release_template.py"
    assert versions[-1] == template_tag(__version__)


def test_newest_release_matches_template_and_copier_yml(tmp_path: Path) -> None:
    checkout = tmp_path / "release"
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", template_tag(), str(HISTORY_BUNDLE), str(checkout)],
        check=True,
        capture_output=True,
    )
    stale = (
        "the template changed since the newest release: bump scaffold/__version__ and"
        " copier.yml's mio_version, then record it with scripts/release_template.py"
    )
    assert filecmp.cmp(checkout / "copier.yml", ROOT / "copier.yml", shallow=False), stale
    assert _differences(checkout / "template", ROOT / "template") == [], stale
    assert _differences(checkout / "data", ROOT / "data") == [], stale
