"""The git layer: every git command mio runs, and one error naming a failing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import git
from scaffold.errors import GenerationFailed, GitFailed


def _repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    git.init(path, branch="main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git.add_all(path)
    git.commit(path, "first")
    return path


def test_a_failing_command_names_itself_where_it_ran_and_gits_message(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {"a.txt": "a\n"})
    with pytest.raises(GitFailed) as caught:
        git.run_git("checkout", "no-such-branch", cwd=repo)
    message = caught.value.message
    assert "`git checkout no-such-branch` failed in" in message
    assert str(repo) in message
    assert "no-such-branch" in caught.value.stderr
    assert isinstance(caught.value, GenerationFailed)  # exit code 1, as before


def test_reads_of_a_work_tree(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {"a.txt": "a\n", "sub/b.txt": "b\n"})
    (repo / "a.txt").write_text("changed\n")
    (repo / "new.txt").write_text("new\n")
    assert git.work_tree_of(repo / "sub") == (repo.resolve(), "sub/")
    assert git.work_tree_of(tmp_path) is None
    assert sorted(git.status(repo)) == [(" M", "a.txt"), ("??", "new.txt")]
    assert git.listed_files(repo) == ["a.txt", "new.txt", "sub/b.txt"]
    assert git.committed_content(repo, "a.txt") == b"a\n"
    assert git.committed_content(repo, "new.txt") is None
    blobs = git.tree_blobs(repo, "HEAD", ["sub/"], recursive=True)
    assert git.blob(repo, blobs["sub/b.txt"]) == b"b\n"


def test_restore_to_head_drops_changes_and_untracked_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {"a.txt": "a\n"})
    (repo / "a.txt").write_text("changed\n")
    (repo / "new.txt").write_text("new\n")
    git.restore_to_head(repo)
    assert git.status(repo) == []


def test_merge_file_is_clean_or_marks_the_conflict(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("one\ntwo\nthree\n")
    ours.write_text("ONE\ntwo\nthree\n")
    theirs.write_text("one\ntwo\nTHREE\n")
    merged, clean = git.merge_file(ours, base, theirs, ("ours", "base", "theirs"))
    assert clean and merged == b"ONE\ntwo\nTHREE\n"
    theirs.write_text("uno\ntwo\nthree\n")
    merged, clean = git.merge_file(ours, base, theirs, ("ours", "base", "theirs"))
    assert not clean and b"<<<<<<< ours" in merged
