"""The Copier in use must be at least the template's `_min_copier_version`."""

from __future__ import annotations

from scaffold.answers import load_copier_yml
from scaffold.errors import MioError
from scaffold.versions import parse_version


def check_copier_version(installed: str | None = None) -> None:
    """Refuse to render with a Copier older than the template needs, naming both versions."""
    minimum = str(load_copier_yml().get("_min_copier_version", "0"))
    if installed is None:
        try:
            import copier  # imported to render anyway; it knows its own version
        except ImportError:
            raise MioError(
                "Copier is not installed", hint="python -m pip install 'copier>=" + minimum + "'"
            ) from None
        installed = copier.__version__
    if parse_version(installed) < parse_version(minimum):
        raise MioError(
            f"Copier {installed} is older than the template's minimum {minimum}",
            hint=f"python -m pip install --upgrade 'copier>={minimum}'",
        )
