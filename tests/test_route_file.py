"""Reading deploy/route.yaml: today's field names, the spelling of releases 0.1.0-0.3.0,
and one line naming the file, the field and the rule for a route that breaks one."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import InvalidInput
from scaffold.routes import OLD_SPELLINGS, default_internal_paths, load_route

ROUTE = """\
service: orders
prefix: /api/orders
upstream:
  host: orders
  port: 8000
connect_timeout_seconds: 3
request_timeout_seconds: 40
retries: 2
limits:
  max_body_bytes: 1048576
  rate_per_second: 100
  burst: 200
internal_paths: [/healthz, /metrics]
"""

#: How the template's releases 0.1.0 to 0.3.0 wrote the timeouts.
OLD_TIMEOUTS = """\
timeouts:
  connect_seconds: 3
  request_seconds: 40
"""
NEW_TIMEOUTS = "connect_timeout_seconds: 3\nrequest_timeout_seconds: 40\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "route.yaml"
    path.write_text(text)
    return path


def test_a_route_reads_into_the_fields_copier_yml_names(tmp_path: Path) -> None:
    import yaml

    route = load_route(write(tmp_path, ROUTE))
    assert (route.service, route.prefix, route.host, route.port) == (
        "orders",
        "/api/orders",
        "orders",
        8000,
    )
    assert (route.connect_timeout_seconds, route.request_timeout_seconds) == (3, 40)
    assert route.internal_paths == ("/healthz", "/metrics")
    copier_yml = yaml.safe_load((Path(__file__).parents[1] / "copier.yml").read_text())
    numbers = set(copier_yml["route"]["default"]) - {"internal_paths"}
    assert numbers <= set(vars(route)), "every field of copier.yml's route, by the same name"


def test_the_spelling_of_releases_0_1_to_0_3_reads_the_same(tmp_path: Path) -> None:
    assert set(OLD_SPELLINGS) == {"connect_timeout_seconds", "request_timeout_seconds"}
    today = load_route(write(tmp_path, ROUTE))
    old = load_route(write(tmp_path, ROUTE.replace(NEW_TIMEOUTS, OLD_TIMEOUTS)))
    assert old == today


def test_a_route_without_internal_paths_keeps_copier_yml_s_defaults(tmp_path: Path) -> None:
    route = load_route(write(tmp_path, ROUTE.replace("internal_paths: [/healthz, /metrics]\n", "")))
    assert route.internal_paths == default_internal_paths()
    assert "/metrics" in route.internal_paths


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("prefix: /api/orders", "prefix: api/orders/", "prefix must be an absolute path"),
        ("host: orders", "host: 'or ders'", "upstream.host must be a host name or address"),
        ("port: 8000", "port: 70000", "upstream.port must be between 1 and 65535; got 70000"),
        ("port: 8000", "port: '8000'", "upstream.port must be a int; got '8000'"),
        ("retries: 2", "retries: true", "retries must be a int; got True"),
        ("  burst: 200\n", "", "limits.burst is missing"),
        (NEW_TIMEOUTS, "", "connect_timeout_seconds is missing"),
        (
            "request_timeout_seconds: 40",
            "request_timeout_seconds: 0",
            "request_timeout_seconds must be between 1 and 3600",
        ),
        (
            NEW_TIMEOUTS,
            OLD_TIMEOUTS.replace("3", "0"),
            "timeouts.connect_seconds must be between 1 and 3600",
        ),
        (
            "internal_paths: [/healthz, /metrics]",
            "internal_paths: [metrics]",
            "internal_paths must be a list",
        ),
    ],
)
def test_a_broken_rule_is_one_line_naming_the_file_and_the_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in ROUTE
    path = write(tmp_path, ROUTE.replace(old, new))
    with pytest.raises(InvalidInput) as caught:
        load_route(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


@pytest.mark.parametrize("text", ["- a list\n", "prefix: [unclosed\n"])
def test_text_that_is_no_route_is_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput, match=f"^{path}: "):
        load_route(path)
