"""The Copier work mio skips is work that cannot have an effect, and only that."""

import subprocess
from pathlib import Path

from copier._main import Worker

from scaffold.copier_speed import (
    copier_shortcuts,
    templates_compiled_once,
    tracks_file_mode,
    without_index_mode_sync,
)

HOOK = "_sync_git_index_executable_bit"


def test_the_skipped_hook_exists_and_comes_back() -> None:
    original = getattr(Worker, HOOK)  # a Copier without it would make the skip a no-op
    with without_index_mode_sync():
        assert getattr(Worker, HOOK) is not original
    assert getattr(Worker, HOOK) is original


def test_the_hook_comes_back_after_an_error() -> None:
    original = getattr(Worker, HOOK)
    try:
        with without_index_mode_sync():
            raise RuntimeError("render failed")
    except RuntimeError:
        pass
    assert getattr(Worker, HOOK) is original


def test_file_modes_are_tracked_unless_git_is_told_not_to(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    subprocess.run(["git", "config", "core.fileMode", "true"], cwd=tmp_path, check=True)
    assert tracks_file_mode(tmp_path)
    subprocess.run(["git", "config", "core.fileMode", "false"], cwd=tmp_path, check=True)
    assert not tracks_file_mode(tmp_path)
    subprocess.run(["git", "config", "--unset", "core.fileMode"], cwd=tmp_path, check=True)
    assert tracks_file_mode(tmp_path)  # unset: git's default on this platform reads modes


def test_each_source_is_compiled_once_per_environment_and_renders_the_same() -> None:
    from jinja2 import Environment

    original = Environment.compile
    env, other = Environment(), Environment(variable_start_string="[[", variable_end_string="]]")
    with templates_compiled_once():
        first = env.compile("{{ name }}-svc")
        assert env.compile("{{ name }}-svc") is first  # the repeat comes from the cache
        assert other.compile("{{ name }}-svc") is not first  # another environment compiles anew
        assert env.from_string("{{ name }}-svc").render(name="orders") == "orders-svc"
        assert other.from_string("[[ name ]]-svc").render(name="orders") == "orders-svc"
    assert Environment.compile is original
    assert env.compile("{{ name }}-svc") is not first  # outside a run, nothing is cached


def test_the_index_sync_is_kept_when_asked() -> None:
    from jinja2 import Environment

    original_hook, original_compile = getattr(Worker, HOOK), Environment.compile
    with copier_shortcuts(skip_index_sync=False):
        assert getattr(Worker, HOOK) is original_hook
        assert Environment.compile is not original_compile
    with copier_shortcuts():
        assert getattr(Worker, HOOK) is not original_hook
    assert (getattr(Worker, HOOK), Environment.compile) == (original_hook, original_compile)
