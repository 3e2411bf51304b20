"""A service's folder as a git repository of its own, and the way back.

Copier's update works on a whole git repository: it refuses one with uncommitted changes
anywhere, and it runs ``git write-tree`` over the whole index, which fails (exit 128) while
any other folder holds unresolved conflicts. In a monorepo that makes one service's update
depend on every sibling's state, and a second update before committing compare against
files the first one changed.

So mio never runs Copier in the owner's repository. :func:`isolate` builds a fresh
repository holding only the service's folder as the last commit has it (its objects
borrowed from the owner's repository, so nothing is copied but the checked-out files);
Copier updates that, exactly as it would a service in a repository of its own.
:func:`carry_back` then writes what changed (files changed, added and removed, conflict
markers, and the index entries, unmerged stages included) into the service's folder, and
touches nothing outside it. Writers of one repository's index take turns
(:func:`repository_lock`); the updates themselves run side by side.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from scaffold import git
from scaffold.project import Service

#: The lock file, in the repository's git directory, held while an update writes back.
LOCK_NAME = "mio-update.lock"


def isolate(service: Service, destination: Path) -> Service:
    """A repository at ``destination`` holding the service's folder at ``HEAD`` (its root)."""
    tree = git.tree_id(service.repo_root, "HEAD", service.prefix)
    destination.mkdir(parents=True)
    git.init(destination)
    git.borrow_objects(destination, service.repo_root)
    git.check_out_tree(destination, tree, f"{service.prefix or 'service'} at HEAD")
    return replace(service, path=destination, repo_root=destination, prefix="")


def carry_back(shadow: Service, service: Service) -> None:
    """Make the service's folder and index show what the update did in ``shadow``."""
    names = [name for _, name in git.status(shadow.path)]
    for name in names:
        _copy_entry(shadow.path / name, service.path / name, service.path)
    entries = git.index_entries(shadow.path, names)
    moved: dict[str, str] = {}  # blob ids are the same in both repositories
    for blob_id in {entry[1] for entry in entries}:
        moved[blob_id] = git.write_blob(service.repo_root, git.blob(shadow.path, blob_id))
    git.set_index_entries(
        service.repo_root,
        [service.prefix + name for name in names],
        [(mode, moved[blob], stage, service.prefix + name) for mode, blob, stage, name in entries],
    )


def _copy_entry(source: Path, target: Path, top: Path) -> None:
    """Copy a file or symbolic link from ``source`` over ``target``; remove ``target`` (and
    the folders it leaves empty, up to ``top``) where ``source`` is gone."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    if source.is_symlink():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.readlink(source), target)
    elif source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    else:
        folder = target.parent
        while folder != top and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


@contextmanager
def repository_lock(service: Service) -> Iterator[None]:
    """Hold the repository's update lock: one writer of its index at a time, across processes."""
    path = git.common_dir(service.path) / LOCK_NAME
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
