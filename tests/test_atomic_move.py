"""A finished directory moves into place whole, and never over anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import build_file_tree, tree
from scaffold.atomic import move_into_place


def _staged(tmp_path: Path) -> Path:
    return build_file_tree(tmp_path / ".staging", {"a.txt": "a\n", "sub/b.txt": "b\n"})


def test_it_lands_whole_where_nothing_was(tmp_path: Path) -> None:
    destination = tmp_path / "deep" / "service"
    move_into_place(_staged(tmp_path), destination)
    assert tree(destination) == {"a.txt", "sub", "sub/b.txt"}
    assert not (tmp_path / ".staging").exists()


def test_it_replaces_an_empty_directory(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    destination.mkdir()
    move_into_place(_staged(tmp_path), destination)
    assert (destination / "sub" / "b.txt").read_text() == "b\n"


def test_it_never_writes_over_a_directory_with_files(tmp_path: Path) -> None:
    destination = build_file_tree(tmp_path / "service", {"mine.txt": "mine\n"})
    with pytest.raises(OSError):
        move_into_place(_staged(tmp_path), destination)
    assert tree(destination) == {"mine.txt"}
    assert tree(tmp_path / ".staging") == {"a.txt", "sub", "sub/b.txt"}
