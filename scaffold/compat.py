"""The Copier in use must be at least the template's `_min_copier_version`."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version

from scaffold.answers import load_copier_yml
from scaffold.errors import MioError


def _parts(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text.split("+")[0])[:3])


def check_copier_version(installed: str | None = None) -> None:
    """Refuse to render with a Copier older than the template needs, naming both versions."""
    minimum = str(load_copier_yml().get("_min_copier_version", "0"))
    if installed is None:
        try:
            installed = version("copier")
        except PackageNotFoundError:
            raise MioError(
                "Copier is not installed", hint="python -m pip install 'copier>=" + minimum + "'"
            ) from None
    if _parts(installed) < _parts(minimum):
        raise MioError(
            f"Copier {installed} is older than the template's minimum {minimum}",
            hint=f"python -m pip install --upgrade 'copier>={minimum}'",
        )
