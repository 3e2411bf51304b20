"""`mio explain`: why a file or a line exists, read from whatever template tree is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from helpers import render
from scaffold.cli.app import app
from scaffold.explain import explain

runner = CliRunner()

COPIER_YML = """\
_subdirectory: template
service_name:
  type: str
broker:
  type: str
  help: Message broker
  choices: [none, redis, nats]
  default: none
policies:
  type: str
  help: Policies
  multiselect: true
  choices: [retry, breaker]
  default: []
"""

RETRY_TOML = """\
id = "retry"
title = "Retry"
summary = "s"
question = "policies"
values = ["retry"]

[adds]
also = ["Its log line names retry.py's upstream."]

[adds.files]
"src/<package>/resilience/retry.py" = "the retry policy."
"tests/test_retry.py" = "its tests."
"""

BROKER_TOML = """\
id = "messaging"
title = "Messaging"
summary = "s"
question = "broker"
values = ["redis", "nats"]
"""

SETTINGS = """\
class Settings:
    name: str = "{{ service_name }}"
{%- if 'retry' in policies %}
    retry_attempts: int = 3
{%- endif %}
{%- if broker == 'none' %}
    offline: bool = True
{%- elif broker == 'redis' %}
    redis_url: str = "redis://"
{%- else %}
    nats_url: str = "nats://"
{%- endif %}
    port: int = 8000
"""


def build_file_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A tiny template, laid out as mio's own: copier.yml, template/ and patterns/."""
    return build_file_tree(
        tmp_path / "tpl",
        {
            "copier.yml": COPIER_YML,
            "patterns/retry.toml": RETRY_TOML,
            "patterns/messaging.toml": BROKER_TOML,
            "template/src/{{ service_name }}/settings.py.jinja": SETTINGS,
            "template/src/{{ service_name }}/{% if 'retry' in policies %}retry.py{% endif %}"
            ".jinja": "RETRIES = 3\n",
            "template/src/{{ service_name }}/{% if broker != 'none' %}messaging{% endif %}/"
            "broker.py.jinja": "URL = '{{ broker }}://'\n",
            "template/README.md": "# A service\n",
        },
    )


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A service of the tiny template, as Copier would have rendered it with redis and retry."""
    answers = {"_src_path": "x", "service_name": "orders", "broker": "redis", "policies": ["retry"]}
    return build_file_tree(
        tmp_path / "orders",
        {
            ".copier-answers.yml": yaml.safe_dump(answers),
            "src/orders/settings.py": 'class Settings:\n    name: str = "orders"\n'
            '    retry_attempts: int = 3\n    redis_url: str = "redis://"\n'
            "    port: int = 8000\n    owner_setting: int = 1\n",
            "src/orders/retry.py": "RETRIES = 3\n",
            "src/orders/messaging/broker.py": "URL = 'redis://'\n",
            "README.md": "# A service\n",
            "NOTES.md": "ours\n",
        },
    )


def test_a_file_named_by_a_condition(template: Path, service: Path) -> None:
    e = explain(str(service / "src/orders/retry.py"), root=template)
    assert e.path == "src/orders/retry.py"
    assert (
        e.source == "src/{{ service_name }}/{% if 'retry' in policies %}retry.py{% endif %}.jinja"
    )
    (condition,) = e.conditions
    assert condition.expression == "'retry' in policies"
    assert condition.added_by == (("policies", "retry"),)
    assert condition.patterns == ("retry",)
    assert e.answers == {"policies": ["retry"]}
    assert e.catalog["retry"]["catalog"] == "patterns/retry.toml"
    assert e.catalog["retry"]["adds"] == [
        "src/<package>/resilience/retry.py: the retry policy.",
        "Its log line names retry.py's upstream.",
    ]
    assert e.questions == {"policies": "Policies"}


def test_a_file_in_a_conditional_directory(template: Path, service: Path) -> None:
    e = explain(str(service / "src/orders/messaging/broker.py"), root=template)
    (condition,) = e.conditions
    assert condition.added_by == (("broker", "redis"), ("broker", "nats"))
    assert condition.patterns == ("messaging",)


def test_a_file_every_service_has_and_one_the_template_never_made(
    template: Path, service: Path
) -> None:
    readme = explain(str(service / "README.md"), root=template)
    assert readme.source == "README.md" and readme.conditions == ()
    assert explain(str(service / "NOTES.md"), root=template).source is None


@pytest.mark.parametrize(
    ("line", "expression", "added", "removed", "patterns"),
    [
        (3, "'retry' in policies", (("policies", "retry"),), (), ("retry",)),
        (
            4,
            "not (broker == 'none') and (broker == 'redis')",
            (("broker", "redis"),),
            (),
            ("messaging",),
        ),
        (5, None, (), (), ()),
        (2, None, (), (), ()),
    ],
)
def test_a_line_inside_conditional_blocks(
    template: Path,
    service: Path,
    line: int,
    expression: str | None,
    added: tuple[Any, ...],
    removed: tuple[Any, ...],
    patterns: tuple[str, ...],
) -> None:
    e = explain(f"{service / 'src/orders/settings.py'}:{line}", root=template)
    assert e.source_line is not None
    if expression is None:
        assert e.conditions == ()
    else:
        (condition,) = e.conditions
        assert (condition.expression, condition.added_by, condition.removed_by) == (
            expression,
            added,
            removed,
        )
        assert condition.patterns == patterns


def test_a_line_there_by_default_says_what_removes_it(tmp_path: Path, template: Path) -> None:
    answers = {"service_name": "plain", "broker": "none", "policies": []}
    service = build_file_tree(
        tmp_path / "plain",
        {
            ".copier-answers.yml": yaml.safe_dump(answers),
            "src/plain/settings.py": "class Settings:\n    offline: bool = True\n",
        },
    )
    e = explain(f"{service / 'src/plain/settings.py'}:2", root=template)
    (condition,) = e.conditions
    assert condition.added_by == ()
    assert condition.removed_by == (("broker", "redis"), ("broker", "nats"))


def test_an_owners_line_is_not_from_the_template(template: Path, service: Path) -> None:
    e = explain(f"{service / 'src/orders/settings.py'}:6", root=template)
    assert e.source_line is None and e.conditions == ()


def test_the_template_is_read_at_run_time(template: Path, service: Path) -> None:
    """A template restructured (the file moved into resilience/) is explained as it now is."""
    old = next((template / "template/src/{{ service_name }}").glob("{% if*retry*"))
    moved = template / "template/src/{{ service_name }}/resilience" / old.name
    moved.parent.mkdir()
    old.rename(moved)
    assert explain(str(service / "src/orders/retry.py"), root=template).source is None
    build_file_tree(service, {"src/orders/resilience/retry.py": "RETRIES = 3\n"})
    e = explain(str(service / "src/orders/resilience/retry.py"), root=template)
    assert e.source is not None and e.source.startswith("src/{{ service_name }}/resilience/")
    assert e.conditions[0].patterns == ("retry",)


def test_bad_line_numbers_are_invalid_input(service: Path) -> None:
    result = runner.invoke(app, ["explain", f"{service / 'README.md'}:9"])
    assert result.exit_code == 2
    assert "has 1 lines; there is no line 9" in result.output


# --- The real template ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_service(copie_session: Any) -> Path:
    return render(
        copie_session,
        service_name="orders",
        messaging="redis",
        gateway="nginx",
        resilience=["retry", "circuit-breaker"],
    )


def _file_under(project: Path, *names: str) -> str:
    for path in sorted(project.rglob("*")):
        if path.name == names[-1] and all(n in path.parts for n in names[:-1]):
            return str(path)
    raise AssertionError(f"{names} not in the service")


def test_real_template_every_file_is_explained(real_service: Path) -> None:
    for path in sorted(real_service.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            e = explain(str(path))
            assert e.source is not None, path


@pytest.mark.parametrize(
    ("names", "pattern", "question", "value"),
    [
        (("resilience", "retry.py"), "retry", "resilience", "retry"),
        (("resilience", "circuit_breaker.py"), "circuit-breaker", "resilience", "circuit-breaker"),
        (("messaging", "handlers.py"), "async-messaging", "messaging", "redis"),
        (("nginx", "nginx.conf"), "api-gateway", "gateway", "nginx"),
        (("tests", "test_retry.py"), "retry", "resilience", "retry"),
    ],
)
def test_real_template_pattern_files(
    real_service: Path, names: tuple[str, ...], pattern: str, question: str, value: str
) -> None:
    e = explain(_file_under(real_service, *names))
    assert pattern in {p for c in e.conditions for p in c.patterns}
    assert (question, value) in {pair for c in e.conditions for pair in c.added_by}
    assert e.catalog[pattern]["catalog"] == f"patterns/{pattern}.toml"


def test_real_template_one_of_several_sources_of_a_name_is_the_services_own(
    real_service: Path,
) -> None:
    """Each broker has its own source of messaging/broker.py: the service's broker's is named."""
    e = explain(_file_under(real_service, "messaging", "broker.py"))
    assert e.source is not None and "messaging == 'redis'" in e.source
    assert ("messaging", "redis") in {pair for c in e.conditions for pair in c.added_by}


def test_real_template_a_settings_line_and_the_cli(real_service: Path) -> None:
    settings = real_service / "src" / "orders" / "settings.py"  # not messaging/settings.py
    number = next(
        i
        for i, line in enumerate(settings.read_text().splitlines(), start=1)
        if line.strip() == "RetrySettings,"
    )
    result = runner.invoke(app, ["explain", f"{settings}:{number}", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"].endswith("settings.py.jinja")
    assert [c["patterns"] for c in data["conditions"]] == [["retry"]]
    assert data["answers"] == {"resilience": ["retry", "circuit-breaker"]}

    text = runner.invoke(app, ["explain", _file_under(real_service, "resilience", "retry.py")])
    assert text.exit_code == 0, text.output
    assert "why: {% if 'retry' in resilience %} in its file name" in text.output
    assert "present when resilience is retry" in text.output
    assert "pattern retry (Retry with jittered exponential back-off): patterns/retry.toml" in (
        text.output
    )
    assert "adds: src/<package>/resilience/retry.py: the Retry policy on stamina" in text.output


def test_a_path_outside_any_service_is_read_as_a_service_path(
    template: Path, tmp_path: Path
) -> None:
    e = explain("src/orders/retry.py", root=template, cwd=tmp_path)
    assert e.path == "src/orders/retry.py"
    assert e.conditions[0].patterns == ("retry",)
    assert explain("retry.py", root=template, cwd=tmp_path).source is None
