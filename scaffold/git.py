"""Every git command mio runs, as typed functions over one runner.

A command that fails is a :class:`~scaffold.errors.GitFailed` naming the command, the
directory and git's own message; callers that expect a failure (a file not in ``HEAD``,
a folder outside any repository) get ``None`` instead. Output is text unless a function
returns ``bytes`` (file contents, which git passes through untouched).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from scaffold.errors import GitFailed

#: Identity for commits where git has none configured (a fresh CI runner, a container).
FALLBACK_IDENTITY = {"NAME": "mio", "EMAIL": "mio@localhost"}


@overload
def run_git(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = ...,
    check: bool = ...,
    binary: Literal[False] = ...,
) -> str: ...


@overload
def run_git(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = ...,
    check: bool = ...,
    binary: Literal[True],
) -> bytes: ...


def run_git(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    binary: bool = False,
) -> str | bytes:
    """Run ``git ARGS`` in ``cwd`` and return its standard output.

    ``env`` adds to the process environment. With ``check`` (the default) a non-zero
    exit raises :class:`GitFailed`; without it the output is returned as it is.
    """
    result = _run(args, cwd, env=env, binary=binary)
    if check and result.returncode != 0:
        stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
        raise GitFailed(args, cwd, stderr, result.returncode)
    output: str | bytes = result.stdout
    return output


def _run(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    binary: bool = False,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[Any]:
    """The one place mio starts git (``stdin``: bytes to feed it, which makes it binary)."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=not binary and stdin is None,
        input=stdin,
        env={**os.environ, **env} if env else None,
    )


def available() -> bool:
    """Whether a git executable is on the PATH."""
    return shutil.which("git") is not None


# --- Repositories ------------------------------------------------------------------


def init(path: Path, *, branch: str | None = None, bare: bool = False) -> None:
    run_git(
        "init",
        "--quiet",
        *(["--initial-branch", branch] if branch else []),
        *(["--bare"] if bare else []),
        cwd=path,
    )


def clone(
    source: str | Path, destination: Path, *, branch: str | None = None, shared: bool = False
) -> None:
    run_git(
        "clone",
        "--quiet",
        *(["--shared"] if shared else []),
        *(["--branch", branch] if branch else []),
        str(source),
        str(destination),
        cwd=destination.parent,
    )


def fetch(repo: Path, source: str | Path, *refspecs: str) -> None:
    run_git("fetch", "--quiet", str(source), *refspecs, cwd=repo)


def work_tree_of(path: Path) -> tuple[Path, str] | None:
    """The root of the git work tree holding ``path`` and ``path`` relative to it (``""``
    at the root, else ending in ``/``); None outside any work tree."""
    out = run_git("rev-parse", "--show-toplevel", "--show-prefix", cwd=path, check=False)
    lines = out.splitlines()
    if not lines:
        return None
    return Path(lines[0]), (lines[1] if len(lines) > 1 else "")


def config_value(path: Path, key: str) -> str:
    """A git setting as seen from ``path`` (``""`` when unset)."""
    return run_git("config", "--get", key, cwd=path, check=False).strip()


# --- Commits -----------------------------------------------------------------------


def identity_env(path: Path) -> dict[str, str]:
    """Environment variables giving a commit in ``path`` an author and committer: the
    user's configured identity, else mio's (:data:`FALLBACK_IDENTITY`)."""
    env: dict[str, str] = {}
    for key, variable in (("user.name", "NAME"), ("user.email", "EMAIL")):
        if not config_value(path, key):
            for role in ("AUTHOR", "COMMITTER"):
                if f"GIT_{role}_{variable}" not in os.environ:
                    env[f"GIT_{role}_{variable}"] = FALLBACK_IDENTITY[variable]
    return env


def add_all(path: Path, *, force: bool = False) -> None:
    run_git("add", "--all", *(["--force"] if force else []), cwd=path)


def commit(
    path: Path,
    message: str,
    *,
    env: Mapping[str, str] | None = None,
    allow_empty: bool = False,
) -> None:
    """Commit what is staged in ``path``, without hooks (mio's commits are its own)."""
    run_git(
        "commit",
        "--quiet",
        "--no-verify",
        *(["--allow-empty"] if allow_empty else []),
        "-m",
        message,
        cwd=path,
        env=env,
    )


def restore_to_head(path: Path) -> None:
    """Put ``path`` (a directory in a work tree) back to its last commit: the index, the
    tracked files, and no untracked ones. Best effort: a step that fails is passed over."""
    for args in (
        ("reset", "--quiet", "--", "."),
        ("checkout", "--quiet", "--", "."),
        ("clean", "-d", "--force", "--quiet", "--", "."),
    ):
        run_git(*args, cwd=path, check=False)


# --- Reading a work tree --------------------------------------------------------------


def status(path: Path) -> list[tuple[str, str]]:
    """``(status, path)`` of every change under ``path``, paths relative to the work tree's
    root; ``status`` is git's two-letter porcelain code (``??`` untracked, ``UU`` unmerged).

    Without git's optional lock on the index: a status run beside an update of a sibling
    service writing the index must not make that write fail."""
    out = run_git(
        "--no-optional-locks",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        ".",
        cwd=path,
    )
    return [(entry[:2], entry[3:]) for entry in out.split("\0") if entry]


def listed_files(path: Path) -> list[str]:
    """The files under ``path`` that git tracks or would track (not ignored), relative to it."""
    out = run_git(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", cwd=path
    )
    return sorted({name for name in out.split("\0") if name})


def committed_content(path: Path, name: str) -> bytes | None:
    """The content of ``name`` (relative to ``path``) in the last commit; None when absent."""
    result = _run(["show", f"HEAD:./{name}"], path, binary=True)
    return result.stdout if result.returncode == 0 else None


def tree_blobs(
    repo: Path, revision: str, paths: Sequence[str], *, recursive: bool = False
) -> dict[str, str]:
    """The blob id of each file at ``paths`` in ``revision`` (a directory's files with
    ``recursive``), keyed by path relative to ``repo``."""
    out = run_git("ls-tree", *(["-r"] if recursive else []), "-z", revision, "--", *paths, cwd=repo)
    blobs = {}
    for entry in out.split("\0"):
        if entry:
            meta, name = entry.split("\t", 1)
            blobs[name] = meta.split()[2]
    return blobs


def blob(repo: Path, blob_id: str) -> bytes:
    return run_git("cat-file", "blob", blob_id, cwd=repo, binary=True)


def merge_file(ours: Path, base: Path, theirs: Path, labels: Iterable[str]) -> tuple[bytes, bool]:
    """3-way merge of three files (``git merge-file -p``): the result, and whether it is
    clean (otherwise it holds conflict markers labelled with ``labels``)."""
    label_args = [arg for label in labels for arg in ("-L", label)]
    argv = ["merge-file", "-p", *label_args, str(ours), str(base), str(theirs)]
    result = _run(argv, theirs.parent, binary=True)
    if result.returncode < 0 or result.returncode > 127:  # a count of conflicts otherwise
        raise GitFailed(tuple(argv), theirs.parent, result.stderr.decode(), result.returncode)
    return result.stdout, result.returncode == 0


# --- Plumbing: trees, blobs and the index ---------------------------------------------


def common_dir(path: Path) -> Path:
    """The git directory shared by every work tree of the repository holding ``path``."""
    out = run_git("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=path)
    return Path(out.strip())


def tree_id(repo: Path, revision: str, prefix: str) -> str:
    """The id of the tree at ``prefix`` (a folder relative to the root, ``""`` the root)
    in ``revision``."""
    spec = f"{revision}:{prefix.rstrip('/')}" if prefix else f"{revision}^{{tree}}"
    return run_git("rev-parse", "--verify", "--quiet", spec, cwd=repo).strip()


def check_out_tree(repo: Path, tree: str, message: str) -> None:
    """Make ``tree`` the index, the files and the one commit of the fresh repository ``repo``
    (whose object store can reach it)."""
    run_git("read-tree", tree, cwd=repo)
    run_git("checkout-index", "--all", "--force", cwd=repo)
    commit_id = run_git("commit-tree", tree, "-m", message, cwd=repo, env=identity_env(repo))
    run_git("update-ref", "HEAD", commit_id.strip(), cwd=repo)


def borrow_objects(repo: Path, source: Path) -> None:
    """Let ``repo`` read the objects of the repository holding ``source`` (git alternates)."""
    alternates = repo / ".git" / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(f"{common_dir(source) / 'objects'}\n", encoding="utf-8")


def index_entries(repo: Path, names: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """``(mode, blob id, stage, path)`` of the index entries of ``names`` (all stages)."""
    if not names:
        return []
    out = run_git("ls-files", "--stage", "-z", "--", *names, cwd=repo)
    entries = []
    for entry in out.split("\0"):
        if entry:
            meta, name = entry.split("\t", 1)
            mode, blob_id, stage = meta.split()
            entries.append((mode, blob_id, stage, name))
    return entries


def write_blob(repo: Path, content: bytes) -> str:
    """Store ``content`` in ``repo``'s object store; its blob id."""
    argv = ["hash-object", "-w", "--stdin"]
    result = _run(argv, repo, binary=True, stdin=content)
    if result.returncode != 0:
        raise GitFailed(tuple(argv), repo, result.stderr.decode(), result.returncode)
    return str(result.stdout.decode().strip())


def set_index_entries(
    repo: Path,
    replaced: Sequence[str],
    entries: Sequence[tuple[str, str, str, str]],
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Drop the index entries of the paths ``replaced``, then add ``entries`` (as
    :func:`index_entries` gives them; conflict stages included); ``env`` may name another
    index (``GIT_INDEX_FILE``)."""
    lines = [f"0 {'0' * 40}\t{name}" for name in replaced]
    lines += [f"{mode} {blob_id} {stage}\t{name}" for mode, blob_id, stage, name in entries]
    if not lines:
        return
    argv = ["update-index", "-z", "--index-info"]
    data = "".join(f"{line}\0" for line in lines).encode()
    result = _run(argv, repo, env=env, binary=True, stdin=data)
    if result.returncode != 0:
        raise GitFailed(tuple(argv), repo, result.stderr.decode(), result.returncode)


# --- Bundles -----------------------------------------------------------------------


def bundle_tags(bundle: Path) -> list[str]:
    """The tags a bundle file holds, in the bundle's order."""
    out = run_git("bundle", "list-heads", str(bundle), cwd=bundle.parent)
    return [line.split("refs/tags/", 1)[1] for line in out.splitlines() if "refs/tags/" in line]
