"""Where mio finds what it reads at run time, installed or from a checkout.

An installed wheel carries ``copier.yml``, ``data/``, ``template/`` and ``patterns/`` under
``scaffold/_resources``; a source checkout has them at the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scaffold import __version__

#: The template's canonical source: the URL every generated service records in its
#: answers file, and the one place it is set. Whoever publishes the template sets it to
#: a repository they control (a platform team's fork sets its own); `mio --version`
#: shows it. mio never fetches it: it redirects the URL to the history shipped inside
#: the package (see :mod:`scaffold.history`). Plain ``copier update`` fetches it.
#: ``copier.yml``'s ``mio_source`` repeats it for the template (a test keeps them equal).
TEMPLATE_SOURCE = "https://github.com/mio-scaffold/mio-scaffold.git"

#: Sources earlier releases recorded. Services recording one keep updating with mio
#: (from the shipped history), and their next update records ``TEMPLATE_SOURCE``.
FORMER_SOURCES = ("https://github.com/mio-dev/mio.git",)

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
