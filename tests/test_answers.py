"""copier.yml's rules, applied by mio to every answer whatever its source."""

from __future__ import annotations

import keyword
import sys

import pytest
import yaml

from helpers import ROOT
from scaffold.answers import load_questions, parse_data, validate_answers
from scaffold.errors import InvalidInput


@pytest.mark.parametrize("name", ["orders", "orders-api", "a", "a1-b2", "x" * 40])
def test_valid_service_names(name: str) -> None:
    assert validate_answers({"service_name": name})["service_name"] == name


@pytest.mark.parametrize(
    "name", ["Orders", "1orders", "orders-", "-orders", "or_ders", "../x", "x" * 41, "{{7*7}}", ""]
)
def test_invalid_service_names_name_the_rule(name: str) -> None:
    with pytest.raises(InvalidInput, match="DNS-1123 label"):
        validate_answers({"service_name": name})


def test_unknown_question_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown question 'colour'"):
        validate_answers({"service_name": "orders", "colour": "red"})


def test_unknown_choice_names_the_choices() -> None:
    with pytest.raises(InvalidInput, match="messaging must be one of"):
        validate_answers({"service_name": "orders", "messaging": "bogus"})


@pytest.mark.parametrize("port", [80, 0, 70000, "http", None, True])
def test_http_port_rule(port: object) -> None:
    with pytest.raises(InvalidInput, match="http_port"):
        validate_answers({"service_name": "orders", "http_port": port})


@pytest.mark.parametrize("question", ["description", "owner"])
@pytest.mark.parametrize("text", ['x"\ndependencies = ["evil"]', "a\rb", "a\x00b", "x" * 201])
def test_free_text_is_one_printable_line(question: str, text: str) -> None:
    with pytest.raises(InvalidInput, match=f"{question} must be one line of printable text"):
        validate_answers({"service_name": "orders", question: text})


def test_an_error_names_question_value_rule_and_source() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_answers(
            {"service_name": "orders", "http_port": 80}, sources={"http_port": "--http-port"}
        )
    assert caught.value.message == (
        "http_port=80 from --http-port: http_port must be between 1024 and 65535"
        " (unprivileged ports only)"
    )
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "Orders: the service",
        "yes",
        "no",
        "null",
        "~",
        "# note",
        "0x1F",
        "1e3",
        "0o17",
        "{% raw %}x",
        "[1, 2]",
        "{a: b}",
        "",
        " padded ",
        "'quoted'",
    ],
)
def test_data_keeps_text_answers_as_typed(text: str) -> None:
    assert parse_data([f"description={text}", f"owner={text}"]) == {
        "description": text,
        "owner": text,
    }


def test_data_parses_typed_questions() -> None:
    assert parse_data(["http_port=9000", "resilience=[retry, fallback]"]) == {
        "http_port": 9000,
        "resilience": ["retry", "fallback"],
    }
    assert parse_data(["resilience=retry,circuit-breaker"]) == {
        "resilience": ["retry", "circuit-breaker"]
    }
    assert parse_data(["resilience=[]"]) == {"resilience": []}


@pytest.mark.parametrize(
    ("item", "rule"),
    [
        ("novalue", "KEY=VALUE"),
        ("colour=red", "unknown question 'colour'"),
        ("http_port=0x1F", "http_port must be a whole number"),
        ("http_port=nine", "http_port must be a whole number"),
    ],
)
def test_data_refuses_with_the_rule(item: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule) as caught:
        parse_data([item])
    assert "--data" in caught.value.message


def test_every_question_has_a_type_and_help() -> None:
    for question in load_questions().values():
        assert question.type and question.help, question.name


def test_reserved_names_cover_every_stdlib_module_and_keyword() -> None:
    data = yaml.safe_load((ROOT / "data" / "reserved-names.yml").read_text())
    reserved = set(data["modules"])
    lower_stdlib = {n for n in sys.stdlib_module_names if n.islower() and not n.startswith("_")}
    assert lower_stdlib <= reserved
    assert {k for k in keyword.kwlist if k.islower()} <= reserved
