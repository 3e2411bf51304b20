"""Recording template releases into a history bundle (scripts/release_template.py's core)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trial_history import copy_template

from scaffold.errors import InvalidInput
from scaffold.history import record_release, released_versions


def test_releases_are_appended_in_order_and_never_rewritten_by_accident(tmp_path: Path) -> None:
    root = copy_template(tmp_path / "src")
    bundle = tmp_path / "history.bundle"
    record_release(root, bundle, "v1.0.0")
    record_release(root, bundle, "v1.2.0")
    assert released_versions(bundle) == ["v1.0.0", "v1.2.0"]

    with pytest.raises(InvalidInput, match="already released"):
        record_release(root, bundle, "v1.2.0")
    with pytest.raises(InvalidInput, match=r"older than the newest release v1\.2\.0"):
        record_release(root, bundle, "v1.1.0")

    before = bundle.read_bytes()
    (root / "template" / "NEW.md").write_text("new\n")
    record_release(root, bundle, "v1.2.0", replace=True)
    assert released_versions(bundle) == ["v1.0.0", "v1.2.0"]
    assert bundle.read_bytes() != before


def test_the_same_template_gives_the_same_release(tmp_path: Path) -> None:
    root = copy_template(tmp_path / "src")
    first, second = tmp_path / "a.bundle", tmp_path / "b.bundle"
    record_release(root, first, "v1.0.0")
    record_release(root, second, "v1.0.0")
    assert first.read_bytes() == second.read_bytes()
