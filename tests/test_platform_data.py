"""data/platform.yml, the containers a service runs beside, agrees with what copier.yml
offers: a broker per message broker choice, an engine per gateway choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from scaffold.answers import load_copier_yml
from scaffold.platform import load_platform


def _choices(question: str) -> set[str]:
    return set(load_copier_yml()[question]["choices"].values())


def test_every_broker_choice_has_a_container_and_no_other() -> None:
    brokers = load_platform().brokers
    assert set(brokers) == _choices("messaging") - {"none", "memory"}
    for name, broker in brokers.items():
        url = urlsplit(broker.url(name))
        assert (url.hostname, url.port) == (name, broker.port), broker


def test_every_gateway_choice_has_an_engine_and_no_other() -> None:
    platform = load_platform()
    assert set(platform.engines) == _choices("gateway") - {"none"}
    assert all(engine.files for engine in platform.engines.values())
    assert 1024 <= platform.gateway_port <= 65535


def test_a_services_default_gateway_url_is_the_gateway_port() -> None:
    """The outbound client's settings (resilience/client.py owns them) hold the default as
    code: it must name the port data/platform.yml gives every gateway."""
    import re

    from scaffold.resources import template_dir

    client = template_dir() / "src" / "{{package_name}}" / "resilience" / "client.py.jinja"
    pattern = r'default="(http://127\.0\.0\.1:\d+)", description="API gateway'
    (url,) = re.findall(pattern, client.read_text())
    assert url == f"http://127.0.0.1:{load_platform().gateway_port}"
