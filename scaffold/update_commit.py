"""`mio update --commit` and `--branch`: the update of a service as one commit.

The commit is built without git's checkout: a temporary index starts from the base
commit's tree, the service's changed paths are replaced by the updated files (their blobs
written into the owner's repository), and ``commit-tree`` plus ``update-ref`` record it.
So ``--branch NAME`` never touches the owner's working tree or index: NAME is created from
``HEAD`` when missing, and each service's commit goes on top of it (in a monorepo, one
branch per repository, one commit per service). On the current branch (``--commit`` alone,
or ``--branch`` naming it) the update is first written into the folder as usual, and the
index then records the commit's files for the service's paths.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from scaffold import git
from scaffold.errors import InvalidInput
from scaffold.project import Service


def check_branch_name(repo: Path, name: str) -> None:
    """Refuse a ``--branch`` name git would not accept, before any work."""
    out = git.run_git("check-ref-format", "--branch", name, cwd=repo, check=False)
    if not out.strip() or name.startswith("-"):
        raise InvalidInput(
            f"--branch {name}: not a valid git branch name",
            hint="use letters, digits, '-', '_' and '/', e.g. mio/template-update",
        )


def current_branch(repo: Path) -> str | None:
    """The checked-out branch's short name; None when ``HEAD`` is detached."""
    out = git.run_git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=repo, check=False)
    return out.strip() or None


def commit_update(shadow: Service, service: Service, message: str, branch: str | None) -> str:
    """Commit what the update changed in ``shadow`` onto ``branch`` (None: ``HEAD``) of the
    service's repository; the new commit's id, or the branch's own when it already holds
    exactly this (no empty commit). Hold :func:`repository_lock` around it."""
    repo = service.repo_root
    names = [name for _, name in git.status(shadow.path)]
    git.add_all(shadow.path)
    entries = git.index_entries(shadow.path, names)
    moved = {blob: git.write_blob(repo, git.blob(shadow.path, blob)) for _, blob, _, _ in entries}
    replaced = [service.prefix + name for name in names]
    added = [
        (mode, moved[blob], stage, service.prefix + name) for mode, blob, stage, name in entries
    ]
    ref = f"refs/heads/{branch}" if branch else "HEAD"
    exists = git.run_git("rev-parse", "--verify", "--quiet", ref, cwd=repo, check=False).strip()
    base = exists or git.run_git("rev-parse", "--verify", "HEAD", cwd=repo).strip()
    with tempfile.TemporaryDirectory(prefix="mio-commit-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), **git.identity_env(repo)}
        git.run_git("read-tree", base, cwd=repo, env=env)
        git.set_index_entries(repo, replaced, added, env=env)
        tree = git.run_git("write-tree", cwd=repo, env=env).strip()
    if tree == git.tree_id(repo, base, ""):  # the branch already holds this update
        return base
    commit = git.run_git("commit-tree", tree, "-p", base, "-m", message, cwd=repo, env=env).strip()
    git.run_git("update-ref", "-m", "mio update", ref, commit, exists or "0" * 40, cwd=repo)
    if not branch:  # the index now matches the commit in the service's folder
        git.set_index_entries(repo, replaced, added)
    return commit


def commit_message(name: str, prefix: str, from_version: str, to_version: str) -> str:
    folder = prefix.rstrip("/") or "the repository's root"
    return (
        f"Update {name} to template {to_version}\n\n"
        f"mio update: {name} ({folder}) from template {from_version} to {to_version}.\n"
    )
