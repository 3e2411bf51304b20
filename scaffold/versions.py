"""Versions as PEP 440 orders them: template tags (``v0.3.0``) and Copier's own.

Copier picks the newest tag that parses as a PEP 440 version, with ``packaging``
(installed with it); mio orders versions the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version


def parse_version(text: str) -> Version:
    """``text`` as a comparable version; a leading ``v`` is allowed.

    Raises ``packaging.version.InvalidVersion`` for text that is not a PEP 440 version.
    """
    from packaging.version import Version

    return Version(text)


def is_version(text: str) -> bool:
    """Whether ``text`` parses as a PEP 440 version (Copier ignores tags that do not)."""
    from packaging.version import InvalidVersion

    try:
        parse_version(text)
    except InvalidVersion:
        return False
    return True
