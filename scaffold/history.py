"""The template's released versions, shipped inside the package as a git bundle.

Every generated service records ``_src_path: TEMPLATE_SOURCE`` and
``_commit: v<version>``. To render any released version offline, mio tells git
that ``TEMPLATE_SOURCE`` is the bundle next to this module
(``url.<bundle>.insteadOf=<source>``). Nobody's answers file is rewritten, and
plain ``copier update`` still works wherever ``TEMPLATE_SOURCE`` is reachable.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.errors import GenerationFailed
from scaffold.resources import HISTORY_BUNDLE, TEMPLATE_SOURCE


def redirect_env(bundle: Path = HISTORY_BUNDLE, source: str = TEMPLATE_SOURCE) -> dict[str, str]:
    """Environment variables that point git at the shipped history instead of ``source``."""
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"url.{bundle}.insteadOf",
        f"GIT_CONFIG_VALUE_{count}": source,
    }


@contextmanager
def offline_template(bundle: Path = HISTORY_BUNDLE) -> Iterator[None]:
    """Run Copier with the template source resolved from the shipped bundle.

    plumbum, Copier's process layer, snapshots ``os.environ`` at import, so the
    variables go through ``plumbum.local.env`` rather than ``os.environ``.
    """
    if not bundle.is_file():
        raise GenerationFailed(
            "the template history is missing from this mio installation",
            hint="reinstall mio, or run scripts/release_template.py in a checkout",
        )
    from plumbum import local

    env = redirect_env(bundle)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # for git run by us, outside plumbum
    try:
        with local.env(**env):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def released_versions(bundle: Path = HISTORY_BUNDLE) -> list[str]:
    """Tags of the released template versions, oldest first."""
    if not bundle.is_file():
        return []
    out = subprocess.run(
        ["git", "bundle", "list-heads", str(bundle)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tags = [line.split("refs/tags/", 1)[1] for line in out.splitlines() if "refs/tags/" in line]
    return sorted(tags, key=version_key)


def version_key(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", tag))
