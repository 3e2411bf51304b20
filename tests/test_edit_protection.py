"""Edit protection: an owner's edits survive an update that drops or renames their file.

Tiny templates written on the fly: two releases in a git repository, a project made
from the first, edited and committed, then updated to the second with Copier (which
deletes the dropped and renamed files whatever their edits), then protected.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from helpers import build_file_tree, git
from scaffold import git as scaffold_git
from scaffold.edit_protection import OldVersion, Protection, protect_edits

COPIER_YML = "_subdirectory: template\nname:\n  type: str\n  default: demo\n"
ANSWERS = "template/{{ _copier_conf.answers_file }}.jinja"
ANSWERS_TEXT = "{{ _copier_answers | to_nice_yaml }}"
HANDLER = "".join(f"def step_{n}():\n    return {n}\n\n\n" for n in range(8))

V1 = {
    "copier.yml": COPIER_YML,
    ANSWERS: ANSWERS_TEXT,
    "template/dropped.txt": "a file the next release drops\n",
    "template/unedited.txt": "dropped too, never edited\n",
    "template/{{ name }}_handlers.py.jinja": "# {{ name }}\n" + HANDLER,
    "template/{{ name }}.cfg.jinja": "setting = {{ name }}\n",
}
V2 = {
    "copier.yml": COPIER_YML,
    ANSWERS: ANSWERS_TEXT,
    # renamed, with the last line changed by the template
    "template/{{ name }}_routes.py.jinja": "# {{ name }}\n" + HANDLER.replace("7\n", "70\n"),
}


def _release(repo: Path, files: dict[str, str], tag: str) -> None:
    if (repo / "template").is_dir():
        git(repo, "rm", "-r", "--quiet", "template")
    build_file_tree(repo, files)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", tag)
    git(repo, "tag", tag)


def _updated_project(tmp_path: Path, edits: dict[str, str]) -> tuple[Path, Protection]:
    """A project of v1 with ``edits`` committed, updated to v2 by Copier, then protected."""
    from copier import run_copy, run_update

    template = tmp_path / "template-repo"
    template.mkdir()
    git(template, "init", "--quiet")
    _release(template, V1, "v1")
    _release(template, V2, "v2")
    project = tmp_path / "project"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_copy(str(template), project, vcs_ref="v1", defaults=True, quiet=True)
    git(project, "init", "--quiet")
    build_file_tree(project, edits)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "edited")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_update(project, vcs_ref="v2", defaults=True, overwrite=True, quiet=True)
    changes = scaffold_git.status(project)
    removed = sorted(name for status, name in changes if "D" in status)
    added = sorted(name for status, name in changes if status == "??" or status[0] == "A")
    old = OldVersion(str(template), template, "v1", {"name": "demo"})
    return project, protect_edits(project, removed, added, old)


def test_an_edited_file_the_template_drops_is_put_back(tmp_path: Path) -> None:
    project, protection = _updated_project(tmp_path, {"dropped.txt": "the owner's notes\n"})
    assert protection.kept == ["dropped.txt"]
    assert (project / "dropped.txt").read_text() == "the owner's notes\n"


def test_an_unedited_file_the_template_drops_stays_deleted(tmp_path: Path) -> None:
    project, protection = _updated_project(tmp_path, {"dropped.txt": "the owner's notes\n"})
    assert "unedited.txt" not in protection.saved
    assert not (project / "unedited.txt").exists()


def test_nothing_edited_nothing_kept(tmp_path: Path) -> None:
    project, protection = _updated_project(tmp_path, {})
    assert protection == Protection()
    assert not (project / "demo_handlers.py").exists()


def test_edits_to_a_renamed_file_are_carried_into_the_new_one(tmp_path: Path) -> None:
    edited = "# demo\n" + HANDLER.replace("return 0", "return 'edited by the owner'")
    project, protection = _updated_project(tmp_path, {"demo_handlers.py": edited})
    assert protection.carried == [("demo_handlers.py", "demo_routes.py")]
    assert protection.conflicts == []
    routes = (project / "demo_routes.py").read_text()
    assert "return 'edited by the owner'" in routes  # the owner's edit
    assert "return 70" in routes  # the template's change
    assert not (project / "demo_handlers.py").exists()


def test_an_edit_clashing_with_the_renamed_file_leaves_markers(tmp_path: Path) -> None:
    edited = "# demo\n" + HANDLER.replace("return 7", "return 'the owner's seven'")
    project, protection = _updated_project(tmp_path, {"demo_handlers.py": edited})
    assert protection.carried == [("demo_handlers.py", "demo_routes.py")]
    assert protection.conflicts == ["demo_routes.py"]
    routes = (project / "demo_routes.py").read_text()
    assert "<<<<<<< before updating" in routes and ">>>>>>> after updating" in routes


def test_an_edited_rendered_file_with_no_likeness_in_the_new_release_is_put_back(
    tmp_path: Path,
) -> None:
    edited = "setting = demo\nowner_setting = on\n"
    project, protection = _updated_project(tmp_path, {"demo.cfg": edited})
    assert protection.kept == ["demo.cfg"]
    assert protection.carried == []
    assert (project / "demo.cfg").read_text() == edited
