"""Shared fixtures: an isolated git/Copier environment and one virtual environment
holding every generated service's dependencies, built once and reused."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE_REQUIREMENTS = Path(__file__).with_name("service-requirements.txt")
SERVICE_VENV = ROOT / ".cache" / "service-venv"


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Git identity and configuration of our own; no user settings leak in."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = mio tests\n\temail = tests@mio.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    saved = dict(os.environ)
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    for key in list(os.environ):
        if key.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")) or key == "GIT_CONFIG_COUNT":
            del os.environ[key]
    yield
    os.environ.clear()
    os.environ.update(saved)


def _venv_python(path: Path) -> Path:
    return path / "bin" / "python"


@pytest.fixture(scope="session")
def service_python() -> Path:
    """The python of one shared environment with every generated service's dependencies.

    Built once per requirements file (the stamp holds its hash) and reused by every test
    that runs a generated service, so no test installs dependencies of its own.
    """
    digest = hashlib.sha256(SERVICE_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = SERVICE_VENV / ".requirements-sha256"
    python = _venv_python(SERVICE_VENV)
    SERVICE_VENV.parent.mkdir(parents=True, exist_ok=True)
    # Test processes running side by side (pytest-xdist) build it once: the first takes
    # the lock and builds, the others wait and find it built.
    with (SERVICE_VENV.parent / "service-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (python.exists() and stamp.exists() and stamp.read_text() == digest):
            venv.EnvBuilder(with_pip=True, clear=True).create(SERVICE_VENV)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "-r", str(SERVICE_REQUIREMENTS)],
                check=True,
            )
            stamp.write_text(digest)
    return python


@pytest.fixture(scope="module")
def checkout_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`mio new` renders this checkout's template, recorded as the current version in a
    history of its own, until the release is recorded (then it is the same template)."""
    from trial_history import copy_template

    from scaffold.history import HISTORY_ENV, record_release
    from scaffold.resources import template_tag

    work = tmp_path_factory.mktemp("checkout-history")
    bundle = work / "history.bundle"
    record_release(copy_template(work / "template-src"), bundle, template_tag())
    saved = os.environ.get(HISTORY_ENV)
    os.environ[HISTORY_ENV] = str(bundle)
    try:
        yield bundle
    finally:
        if saved is None:
            os.environ.pop(HISTORY_ENV, None)
        else:
            os.environ[HISTORY_ENV] = saved


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny two-release template history (tests/tiny_history.py), made once per module."""
    from tiny_history import tiny_history

    return tiny_history(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def rendered(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One service rendered at the tiny history's old release, copied by each test that
    needs one (one render per module)."""
    from tiny_history import render_old

    return render_old(bundle, tmp_path_factory.mktemp("rendered") / "svc")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files marked `long_file` first. The suite runs one process per core, a file to a
    process (`--dist loadfile`), handing out files in this order: a file of many minutes
    handed out last would run alone at the end while the other cores sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("long_file") is None)
