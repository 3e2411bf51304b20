"""Versions are ordered as PEP 440 orders them, as Copier orders template tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import InvalidInput
from scaffold.history import record_release
from scaffold.versions import is_version, parse_version


def test_tags_order_by_number_not_by_text() -> None:
    tags = ["v0.10.0", "v0.9.1", "v0.9.0", "v1.0.0rc1", "v1.0.0"]
    assert sorted(tags, key=parse_version) == ["v0.9.0", "v0.9.1", "v0.10.0", "v1.0.0rc1", "v1.0.0"]


def test_a_tag_that_is_no_version_is_told_apart() -> None:
    assert is_version("v0.3.0") and is_version("9.19.1")
    assert not is_version("latest") and not is_version("release-3")


def test_a_release_must_be_tagged_with_a_version(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a version"):
        record_release(tmp_path, tmp_path / "history.bundle", "latest")
