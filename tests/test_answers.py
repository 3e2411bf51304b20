"""One model validates every answer before Copier runs."""

from __future__ import annotations

import keyword
import sys

import pytest
import yaml

from helpers import ROOT
from scaffold.answers import parse_data, validate_answers
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


@pytest.mark.parametrize("port", [80, 0, 70000, "http"])
def test_http_port_rule(port: object) -> None:
    with pytest.raises(InvalidInput, match="http_port"):
        validate_answers({"service_name": "orders", "http_port": port})


def test_multiline_description_is_refused() -> None:
    with pytest.raises(InvalidInput, match="one line of printable text"):
        validate_answers({"service_name": "orders", "description": 'x"\ndependencies = ["evil"]'})


def test_data_values_are_yaml() -> None:
    assert parse_data(["http_port=9000", "resilience=[retry]", "owner="]) == {
        "http_port": 9000,
        "resilience": ["retry"],
        "owner": "",
    }
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        parse_data(["novalue"])


def test_copier_yml_reserves_every_stdlib_module_and_keyword() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text())
    reserved = set(config["reserved_names"]["default"].split())
    lower_stdlib = {n for n in sys.stdlib_module_names if n.islower() and not n.startswith("_")}
    assert lower_stdlib <= reserved
    assert {k for k in keyword.kwlist if k.islower()} <= reserved
