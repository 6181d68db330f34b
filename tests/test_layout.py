"""The package layout shows the flow (issue 13 item 6): no module imports a module that
imports it back, and data flows one way: the engine never imports the stages after it
(reporting, the command line). And what the package imports, pyproject.toml declares: a
module-level import of a library only an extra brings would break `pip install loopholes`."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "loopholes"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> nx.DiGraph:
    """Every import between the package's modules, at module level or inside a function."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
                targets = submodules or [target]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            graph.add_edges_from((name, t) for t in targets if t in modules and t != name)
    return graph


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert graph.has_edge("loopholes.cli.report", "loopholes.reporting.analysis")  # imported inside run()
    assert graph.has_edge("loopholes.reporting.compare", "loopholes.reporting.wording")


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    pairs = sorted({tuple(sorted(c)) for c in nx.simple_cycles(graph) if len(c) == 2})
    assert pairs == []


def test_the_engine_never_imports_reporting_or_the_command_line():
    graph = import_graph()
    later = {n for n in graph if n.startswith(("loopholes.reporting", "loopholes.cli"))}
    engine = {n for n in graph if n not in later and n not in ("loopholes", "loopholes.__main__", "loopholes.pytest_plugin")}
    leaks = sorted((a, b) for a, b in graph.edges if a in engine and b in later)
    assert leaks == []


def test_rules_do_not_import_the_search():
    graph = import_graph()
    rules = {n for n in graph if n.startswith("loopholes.rules")}
    assert not [(a, b) for a, b in graph.edges if a in rules and b in ("loopholes.search", "loopholes.sanity")]


def _declared(requirements: list[str]) -> set[str]:
    """Distribution names a list of requirements installs by name: `dask[distributed]`
    names dask and the distributed package its extra brings."""
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", requirement)
        name = match.group(1)
        if name.lower() == "loopholes":
            continue  # the project's own extras, listed on their own
        names.add(name)
        names.update(extra.strip() for extra in (match.group(2) or "").split(",") if extra.strip())
    return {re.sub(r"[-_.]+", "-", n).lower() for n in names}


def third_party_imports() -> dict[str, set[tuple[str, bool]]]:
    """Every library the package imports: top-level import name -> {(file, at module level)}."""
    found: dict[str, set[tuple[str, bool]]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                if root != "loopholes" and root not in sys.stdlib_module_names:
                    found.setdefault(root, set()).add((str(path.relative_to(PACKAGE.parent)), id(node) in top))
    return found


def test_every_library_the_package_imports_is_declared_and_module_level_ones_are_core():
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _declared(project["dependencies"])
    extras = _declared([r for group in project["optional-dependencies"].values() for r in group])
    distributions = importlib.metadata.packages_distributions()
    undeclared, not_core = [], []
    for root, places in sorted(third_party_imports().items()):
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(root, [root])}
        if not names & (core | extras):
            undeclared.append((root, sorted(places)))
        elif not names & core:
            not_core += [(root, file) for file, module_level in sorted(places) if module_level]
    assert undeclared == [], "imported but in no dependency list of pyproject.toml"
    assert not_core == [], "imported at module level, so every install needs it, but only an extra brings it"
