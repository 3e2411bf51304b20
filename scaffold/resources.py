"""Where mio finds what it reads at run time, installed or from a checkout.

An installed wheel carries ``copier.yml``, ``data/``, ``template/`` and ``patterns/`` under
``scaffold/_resources``; a source checkout has them at the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scaffold import __version__

#: The source every generated service records in its answers file. It names the
#: template, not a machine: mio redirects it to the history shipped inside the
#: package (see :mod:`scaffold.history`), and plain ``copier update`` fetches it
#: wherever it is reachable.
TEMPLATE_SOURCE = "https://github.com/mio-dev/mio.git"

_PACKAGE_DIR = Path(__file__).resolve().parent
HISTORY_BUNDLE = _PACKAGE_DIR / "template-history.bundle"


def template_tag(version: str = __version__) -> str:
    """The git tag of a template version: mio's release version prefixed with ``v``."""
    return version if version.startswith("v") else f"v{version}"


@cache
def resource_root() -> Path:
    """The directory holding ``copier.yml``, ``template/`` and ``patterns/``."""
    installed = _PACKAGE_DIR / "_resources"
    if (installed / "copier.yml").is_file():
        return installed
    checkout = _PACKAGE_DIR.parent
    if (checkout / "copier.yml").is_file():
        return checkout
    raise FileNotFoundError("mio is installed without its template: reinstall the mio package")


def copier_yml() -> Path:
    return resource_root() / "copier.yml"


def template_dir() -> Path:
    return resource_root() / "template"


def patterns_dir() -> Path:
    return resource_root() / "patterns"
