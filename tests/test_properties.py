"""Property: whatever the answers, mio either writes a project whose every TOML, YAML and
JSON file parses and whose Python compiles, or exits 2 having written nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_rule_escaping import assert_structured_files_parse
from typer.testing import CliRunner

from scaffold.answers import load_questions
from scaffold.cli.app import app

runner = CliRunner()

names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,44}", fullmatch=True),
    st.sampled_from(["class", "import", "json", "test", "asyncio", "orders-api", "a"]),
    st.text(max_size=12),
)
texts = st.text(max_size=80)


def choices(name: str) -> list[str]:
    return [*(load_questions()[name].choices or ()), "bogus"]


patterns = st.fixed_dictionaries(
    {
        "gateway": st.sampled_from(choices("gateway")),
        "messaging": st.sampled_from(choices("messaging")),
        "resilience": st.lists(st.sampled_from(choices("resilience")), max_size=3, unique=True),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, description=texts, owner=texts, chosen=patterns)
@example(  # a valid project with hostile but single-line text
    name="orders-api",
    description='a "quoted" {{ 7*7 }} # [x] = 1',
    owner="o'neil \\ ${HOME}",
    chosen={"gateway": "none", "messaging": "none", "resilience": []},
)
def test_either_a_parsable_project_or_exit_2_and_nothing(
    name: str, description: str, owner: str, chosen: dict[str, object]
) -> None:
    resilience = [c for c in chosen["resilience"] if c != "none"]  # type: ignore[attr-defined]
    args = [
        "new",
        "service",
        name,
        "--defaults",
        "--no-git",
        "--description",
        description,
        "--owner",
        owner,
        "--gateway",
        str(chosen["gateway"]),
        "--messaging",
        str(chosen["messaging"]),
    ]
    if resilience:
        args += ["--resilience", ",".join(resilience)]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            result = runner.invoke(app, args)
        finally:
            os.chdir(cwd)
        written = list(Path(tmp).iterdir())
        if result.exit_code == 0:
            assert len(written) == 1
            assert_structured_files_parse(written[0])
        else:
            assert result.exit_code == 2, result.output
            assert written == []
            assert len(result.output.strip().splitlines()) >= 1
