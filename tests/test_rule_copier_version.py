"""Rule: the Copier in use is checked against the template's minimum, by name."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from scaffold.answers import load_copier_yml
from scaffold.compat import check_copier_version
from scaffold.errors import MioError


def test_an_old_copier_is_refused_naming_both_versions() -> None:
    minimum = load_copier_yml()["_min_copier_version"]
    with pytest.raises(MioError, match=rf"Copier 9\.1\.0 is older than .* minimum {minimum}"):
        check_copier_version("9.1.0")


def test_the_installed_copier_is_accepted() -> None:
    check_copier_version(version("copier"))
    check_copier_version()


def test_the_minimum_keeps_copier_advisories_out() -> None:
    major, minor, *_ = (int(p) for p in load_copier_yml()["_min_copier_version"].split("."))
    assert (major, minor) >= (9, 19)
