"""The generated README names commands that exist and do what it says."""

from __future__ import annotations

from typing import Any

from helpers import render


def test_generated_readme_names_the_commands_that_exist(copie: Any) -> None:
    readme = (render(copie) / "README.md").read_text(encoding="utf-8")
    assert "or fallback with `mio add`" in readme
    assert "with `mio update`\n(see `mio patterns list`)" not in readme
