"""One broker.py source per broker (chosen by its conditional file name): each renders
to `messaging/broker.py` alone, and every one offers the same public names, with the
same parameters, so runtime.py works with any of them."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from helpers import render

BROKERS = ["memory", "redis", "rabbitmq", "nats", "kafka"]


def public_interface(module: Path) -> dict[str, tuple[str, ...]]:
    """Every public name the module defines (not imports), with a function's parameters."""
    names: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kind = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
            names[node.name] = (kind, *(arg.arg for arg in node.args.args))
        elif isinstance(node, ast.ClassDef):
            names[node.name] = ("class",)
        elif isinstance(node, ast.Assign):
            names.update(
                {target.id: ("=",) for target in node.targets if isinstance(target, ast.Name)}
            )
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = ("=",)
    return {name: shape for name, shape in names.items() if not name.startswith("_")}


def test_every_broker_module_renders_alone_and_offers_the_same_names(copie: Any) -> None:
    interfaces = {}
    for broker in BROKERS:
        messaging = render(copie, messaging=broker) / "src" / "orders" / "messaging"
        # The five sources share one rendered name: exactly one file, the chosen broker's.
        assert sorted(path.name for path in messaging.glob("broker*")) == ["broker.py"]
        module = messaging / "broker.py"
        assert f'BROKER_NAME = "{broker}"' in module.read_text()
        interfaces[broker] = public_interface(module)
    expected = interfaces["redis"]
    assert {"build_broker", "subscribe", "publish", "dead_letter", "remove"} <= set(expected)
    for broker, interface in interfaces.items():
        missing = sorted(set(expected) - set(interface))
        extra = sorted(set(interface) - set(expected))
        assert not missing and not extra, f"{broker}: missing {missing}, extra {extra}"
        differing = {name for name in expected if interface[name] != expected[name]}
        assert not differing, f"{broker}: {sorted(differing)} differ from redis's"
