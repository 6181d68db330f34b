"""The package layout shows the flow (issue 13 item 6): no module imports a module that
imports it back, and data flows one way: the engine never imports the stages after it
(reporting, the command line)."""

from __future__ import annotations

import ast
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
