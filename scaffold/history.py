"""The template's released versions, shipped inside the package as a git bundle.

Every generated service records ``_src_path: TEMPLATE_SOURCE`` and
``_commit: v<version>``. To render any released version offline, mio tells git
that ``TEMPLATE_SOURCE`` (and every former source) is the bundle next to this module
(``url.<bundle>.insteadOf=<source>``): mio never fetches the URL. Plain
``copier update`` still works wherever ``TEMPLATE_SOURCE`` is reachable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold import git
from scaffold.errors import GenerationFailed, InvalidInput
from scaffold.resources import FORMER_SOURCES, HISTORY_BUNDLE, TEMPLATE_SOURCE
from scaffold.versions import is_version, parse_version

#: Points mio at another template history than the one shipped in the package.
#: For template developers: record a trial release into a bundle of your own
#: (``scripts/release_template.py --bundle PATH``) and try ``mio update`` against it.
HISTORY_ENV = "MIO_TEMPLATE_HISTORY"

#: Where Copier keeps its mirrors of remote templates (read by Copier at each clone).
COPIER_CACHE_ENV = "COPIER_CACHE_DIR"

RELEASE_BRANCH = "releases"
# Fixed identity and dates keep a release reproducible: the same template gives the same commit.
_RELEASE_IDENTITY = {
    "GIT_AUTHOR_NAME": "mio release",
    "GIT_AUTHOR_EMAIL": "release@mio.invalid",
    "GIT_COMMITTER_NAME": "mio release",
    "GIT_COMMITTER_EMAIL": "release@mio.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def history_bundle(bundle: Path | None = None) -> Path:
    """The template history: ``bundle``, else ``$MIO_TEMPLATE_HISTORY``, else the shipped one."""
    if bundle is not None:
        return Path(os.path.abspath(bundle))
    configured = os.environ.get(HISTORY_ENV)
    return Path(os.path.abspath(configured)) if configured else HISTORY_BUNDLE


def redirect_env(
    bundle: Path = HISTORY_BUNDLE, sources: tuple[str, ...] = (TEMPLATE_SOURCE, *FORMER_SOURCES)
) -> dict[str, str]:
    """Environment variables that point git at the shipped history instead of ``sources``."""
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    env = {"GIT_CONFIG_COUNT": str(count + len(sources))}
    for index, source in enumerate(sources, start=count):
        env[f"GIT_CONFIG_KEY_{index}"] = f"url.{bundle}.insteadOf"
        env[f"GIT_CONFIG_VALUE_{index}"] = source
    return env


@contextmanager
def offline_template(bundle: Path | None = None) -> Iterator[None]:
    """Run Copier with the template source resolved from the template history.

    The history is the shipped bundle unless :func:`history_bundle` says otherwise.
    plumbum, Copier's process layer, snapshots ``os.environ`` at import, so the
    variables go through ``plumbum.local.env`` rather than ``os.environ``.

    Copier keeps a mirror of every remote source in a cache shared by all its
    runs, keyed by URL and refreshed on each use. mio gives each run a cache of
    its own: the history is local anyway, parallel runs cannot race on one
    mirror, and the user's cache of the real source is never touched.
    """
    bundle = history_bundle(bundle)
    if not bundle.is_file():
        raise GenerationFailed(
            "the template history is missing from this mio installation",
            hint="reinstall mio, or run scripts/release_template.py in a checkout",
        )
    from plumbum import local

    with tempfile.TemporaryDirectory(prefix="mio-copier-cache-") as cache:
        env = {**redirect_env(bundle), COPIER_CACHE_ENV: cache}
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)  # for git run by us, outside plumbum, and Copier's cache
        try:
            with local.env(**env):
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def released_versions(bundle: Path | None = None) -> list[str]:
    """Tags of the released template versions, oldest first."""
    bundle = history_bundle(bundle)
    if not bundle.is_file():
        return []
    tags = git.bundle_tags(bundle)
    return sorted((tag for tag in tags if is_version(tag)), key=parse_version)


def record_release(root: Path, bundle: Path, tag: str, *, replace: bool = False) -> None:
    """Record ``root``'s ``copier.yml``, ``data/`` and ``template/`` into ``bundle`` as ``tag``.

    Each release is one commit on the ``releases`` branch, tagged ``tag``. A tag
    older than the newest release is refused, and so is an existing tag unless
    ``replace`` (for a version not yet published).
    """
    if not is_version(tag):
        raise InvalidInput(f"{tag} is not a version (PEP 440, e.g. v1.2.0)")
    existing = released_versions(bundle) if bundle.is_file() else []
    if existing and parse_version(tag) < parse_version(existing[-1]):
        raise InvalidInput(f"{tag} is older than the newest release {existing[-1]}")
    if tag in existing and not replace:
        raise InvalidInput(f"{tag} is already released; bump the version or pass --replace")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "history"
        if existing:
            git.clone(bundle, work, branch=RELEASE_BRANCH)
            git.fetch(work, bundle, "refs/tags/*:refs/tags/*")
        else:
            work.mkdir()
            git.init(work, branch=RELEASE_BRANCH)
        if tag in existing:
            parent = git.run_git("rev-list", "--parents", "-n", "1", tag, cwd=work).split()[1:]
            git.run_git("tag", "--delete", tag, cwd=work)
            if parent:
                git.run_git("reset", "--quiet", "--hard", parent[0], cwd=work)
            else:
                git.run_git("checkout", "--quiet", "--orphan", "next", cwd=work)
                git.run_git("branch", "--quiet", "-D", RELEASE_BRANCH, cwd=work)
                git.run_git("branch", "--quiet", "-m", RELEASE_BRANCH, cwd=work)
        for entry in work.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copy2(root / "copier.yml", work / "copier.yml")
        if (root / "data").is_dir():  # data files copier.yml reads (the reserved names)
            shutil.copytree(root / "data", work / "data")
        shutil.copytree(
            root / "template", work / "template", ignore=shutil.ignore_patterns("__pycache__")
        )
        git.add_all(work, force=True)
        git.commit(work, f"Template {tag}", env=_RELEASE_IDENTITY, allow_empty=True)
        git.run_git("tag", tag, cwd=work)
        bundle.parent.mkdir(parents=True, exist_ok=True)
        git.run_git("bundle", "create", "--quiet", str(bundle), RELEASE_BRANCH, "--tags", cwd=work)
