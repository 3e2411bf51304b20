"""Record the current template as the release of mio's current version.

The template's released versions ship inside the package as a git bundle
(``scaffold/template-history.bundle``): each release is a commit holding
``copier.yml`` and ``template/``, tagged ``v<version>``. Services record the tag,
so ``mio update`` can rebuild any released version offline.

    python scripts/release_template.py            # add v<version> (refuses an existing tag)
    python scripts/release_template.py --replace  # re-record the newest, unpublished version

Run it whenever ``template/`` or ``copier.yml`` changes; a test fails while the
newest recorded version differs from them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import __version__  # noqa: E402
from scaffold.history import released_versions, version_key  # noqa: E402
from scaffold.resources import HISTORY_BUNDLE, template_tag  # noqa: E402

BRANCH = "releases"
# Fixed identity and dates keep a release reproducible: the same template gives the same commit.
IDENTITY = {
    "GIT_AUTHOR_NAME": "mio release",
    "GIT_AUTHOR_EMAIL": "release@mio.invalid",
    "GIT_COMMITTER_NAME": "mio release",
    "GIT_COMMITTER_EMAIL": "release@mio.invalid",
}


def git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def release(bundle: Path, tag: str, *, replace: bool) -> None:
    existing = released_versions(bundle)
    if existing and version_key(tag) < version_key(existing[-1]):
        raise SystemExit(f"{tag} is older than the newest release {existing[-1]}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "history"
        if existing:
            git("clone", "--quiet", "--branch", BRANCH, str(bundle), str(work), cwd=Path(tmp))
            git("fetch", "--quiet", str(bundle), "refs/tags/*:refs/tags/*", cwd=work)
        else:
            work.mkdir()
            git("init", "--quiet", "--initial-branch", BRANCH, cwd=work)
        if tag in existing:
            if not replace:
                raise SystemExit(f"{tag} is already released; bump the version or pass --replace")
            parent = git("rev-list", "--parents", "-n", "1", tag, cwd=work).split()[1:]
            git("tag", "--delete", tag, cwd=work)
            if parent:
                git("reset", "--quiet", "--hard", parent[0], cwd=work)
            else:
                git("checkout", "--quiet", "--orphan", "next", cwd=work)
                git("branch", "--quiet", "-D", BRANCH, cwd=work)
                git("branch", "--quiet", "-m", BRANCH, cwd=work)
        for entry in work.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copy2(ROOT / "copier.yml", work / "copier.yml")
        shutil.copytree(
            ROOT / "template", work / "template", ignore=shutil.ignore_patterns("__pycache__")
        )
        git("add", "--all", "--force", cwd=work)
        date = "2026-01-01T00:00:00Z"
        env = {**IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        git("commit", "--quiet", "--allow-empty", "-m", f"Template {tag}", cwd=work, env=env)
        git("tag", tag, cwd=work)
        bundle.parent.mkdir(parents=True, exist_ok=True)
        git("bundle", "create", "--quiet", str(bundle), BRANCH, "--tags", cwd=work)
    print(f"released template {tag} into {bundle.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replace", action="store_true", help="re-record an existing tag")
    args = parser.parse_args()
    release(HISTORY_BUNDLE, template_tag(__version__), replace=args.replace)


if __name__ == "__main__":
    main()
