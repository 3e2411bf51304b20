"""Derive the names a generated service must not take, from its resolved dependencies.

Run it with the Python of an environment where every generated service's dependencies
are installed (the tests build one from ``tests/service-requirements.txt``):

    .cache/service-venv/bin/python scripts/reserved_names.py              # rewrite the file
    .cache/service-venv/bin/python scripts/reserved_names.py --print      # JSON, no writing

It walks the dependency closure of every requirement in the requirements file (each
with its extras and environment markers, as installed), plus pip, which every
environment a service is installed into carries. Of each distribution it records the
distribution name and every top-level import name it installs. The standard library's
modules, Python's keywords and the service's own top-level folders are added.

The result is ``data/reserved-names.yml``, read by ``copier.yml`` (its validator and
``package_name``) and therefore by mio: a service whose package name would be one of
``modules`` gets ``<name>_service``; one whose name is one of ``distributions`` is refused
(installing it would shadow or conflict with the dependency of the same name).

Only the standard library and ``packaging`` (which hatchling brings) are needed.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "data" / "reserved-names.yml"
REQUIREMENTS = ROOT / "tests" / "service-requirements.txt"
#: In every environment a service is installed into, whatever its dependencies.
ALWAYS_PRESENT = ("pip",)
#: The service's own top-level folders.
LAYOUT = ("src", "tests", "test")
_MODULE = re.compile(r"[a-z_][a-z0-9_]*")


def canonical(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def closure(roots: list[str]) -> dict[str, metadata.Distribution]:
    """Every installed distribution the requirements ``roots`` resolve to, by canonical name."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [Requirement(line) for line in roots]
    while queue:
        requirement = queue.pop()
        name = canonical(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(
                f"{requirement.name} is not installed in {sys.prefix}: install"
                f" {REQUIREMENTS.name} there first"
            ) from None
        found[name] = dist
        extras = {canonical(extra) for extra in requirement.extras}
        for text in dist.requires or []:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras | {""}):
                queue.append(dependency)
    return found


def import_names(dist: metadata.Distribution) -> set[str]:
    """The top-level modules and packages a distribution installs."""
    names = set()
    top_level = dist.read_text("top_level.txt")
    if top_level:
        names.update(line.strip() for line in top_level.splitlines() if line.strip())
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or ".." in parts:
            continue
        first = parts[0]
        if len(parts) > 1:
            if (Path(dist.locate_file(first)) / "__init__.py").exists() or first.isidentifier():
                names.add(first)
        elif first.endswith((".py", ".so", ".pyd")):
            names.add(first.split(".", 1)[0])
    return {name.lower() for name in names if _MODULE.fullmatch(name.lower())}


def reserved(requirements: Path) -> dict[str, list[str]]:
    dists = closure([*requirement_lines(requirements), *ALWAYS_PRESENT])
    modules = set(LAYOUT)
    modules |= {n for n in sys.stdlib_module_names if _MODULE.fullmatch(n)}
    modules |= {k for k in (*keyword.kwlist, *keyword.softkwlist) if _MODULE.fullmatch(k)}
    for dist in dists.values():
        modules |= import_names(dist)
    modules = {m for m in modules if not m.startswith("_")}
    return {"modules": sorted(modules), "distributions": sorted(dists)}


def render(names: dict[str, list[str]]) -> str:
    lines = [
        "# Names a generated service must not take. Written by scripts/reserved_names.py",
        "# from the resolved dependencies of tests/service-requirements.txt: do not edit.",
        "# modules: top-level import names (standard library, keywords, every dependency's);",
        "#   a service whose package would take one gets the package <name>_service.",
        "# distributions: every dependency's distribution name; a service may not take one.",
    ]
    for key in ("modules", "distributions"):
        lines.append(f"{key}:")
        lines += [f"  - {name}" for name in names[key]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    parser.add_argument("--print", action="store_true", help="print JSON, write nothing")
    parser.add_argument(
        "--merge", action="store_true", help="keep names already in the output file"
    )
    args = parser.parse_args()
    names = reserved(args.requirements)
    if args.print:
        print(json.dumps(names))
        return
    if args.merge and args.output.is_file():
        import yaml  # only when merging; the service environment has PyYAML through uvicorn

        old = yaml.safe_load(args.output.read_text(encoding="utf-8"))
        names = {key: sorted(set(names[key]) | set(old.get(key, []))) for key in names}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(names), encoding="utf-8")
    print(f"{len(names['modules'])} modules, {len(names['distributions'])} distributions")


if __name__ == "__main__":
    main()
