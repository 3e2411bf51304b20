"""mio and plain Copier agree on every answer: copier.yml's rules are the only rules.

Each answer is given as text, as `copier copy --data KEY=VALUE` and `mio new --data`
give it. Both must accept it with the same value, or both refuse it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT
from scaffold.answers import parse_data, validate_answers
from scaffold.errors import InvalidInput

CASES = [
    ("service_name", "orders"),
    ("service_name", "Orders"),
    ("service_name", "h11"),
    ("service_name", "click"),
    ("service_name", "typing-extensions"),
    ("service_name", "redis"),
    ("service_name", "x" * 41),
    ("description", "Orders: the service"),
    ("description", "yes"),
    ("description", "1e3"),
    ("description", "{% raw %}x"),
    ("description", "x" * 200),
    ("description", "x" * 201),
    ("description", "two\nlines"),
    ("owner", "null"),
    ("owner", "a\tb"),
    ("owner", "line\u2028break"),
    ("http_port", "9000"),
    ("http_port", "80"),
    ("http_port", "0x1F"),
    ("http_port", "65536"),
    ("messaging", "redis"),
    ("messaging", "zeromq"),
    ("gateway", "nginx"),
    ("gateway", "None"),
    ("resilience", "[retry, fallback]"),
    ("resilience", "[retry, bogus]"),
    ("resilience", "[]"),
]


def _copier(answers: dict[str, str], tmp_path: Path) -> Any:
    from copier import run_copy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checkout may be dirty: Copier warns, then copes
        worker = run_copy(
            str(ROOT),
            tmp_path / "out",
            data=answers,
            vcs_ref="HEAD",
            defaults=True,
            pretend=True,
            quiet=True,
            exclude=["*"],
        )
    return worker.answers.combined


@pytest.mark.parametrize(("question", "text"), CASES)
def test_mio_and_copier_agree(question: str, text: str, tmp_path: Path) -> None:
    given = {"service_name": "orders", question: text}
    try:
        copier_value: Any = _copier(given, tmp_path)[question]
    except Exception as exc:  # Copier refuses with ValueError / TypeError / its own errors
        copier_value = exc
    try:
        items = [f"{key}={value}" for key, value in given.items()]
        mio_value: Any = validate_answers(parse_data(items))[question]
    except InvalidInput as exc:
        mio_value = exc
    if isinstance(copier_value, Exception):
        assert isinstance(mio_value, InvalidInput), f"Copier refuses: {copier_value}"
        assert mio_value.message.startswith(f"{question}=")
    else:
        assert not isinstance(mio_value, Exception), f"Copier accepts {copier_value!r}"
        assert mio_value == copier_value


def test_package_name_of_a_reserved_module_name(tmp_path: Path) -> None:
    assert _copier({"service_name": "logging"}, tmp_path)["package_name"] == "logging_service"
    assert _copier({"service_name": "dotenv"}, tmp_path)["package_name"] == "dotenv_service"
