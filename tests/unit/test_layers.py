"""Which part of halab may import which: the arrows point down. Drawn from the code (every
import, also one inside a function), so a new cycle or an import back up fails here first.

    halab.cli, halab.*.cli       the command line: above everything
    halab.dashboard, halab.testing   users of the controller
    halab.chaos                  the controller (engine, journal, views, analyses)
    halab.swarm                  the Swarm backend
    halab.lab                    the lab's status, roles and containers
    halab.app                    the orders service: imports nothing else of halab
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Known debt, to be removed by putting the Swarm behind an interface of the engine (issue 30):
# swarm/faults.py builds on chaos/faults/lifecycle.py, while chaos/faults/node.py and
# chaos/deadline.py reach into halab.swarm. Nothing may be added to this list.
KNOWN_MUTUAL = {("halab.chaos", "halab.swarm"), ("halab.chaos.faults", "halab.swarm.faults")}

FORBIDDEN = [  # (importer prefix, imported prefix, why)
    ("halab.app", "halab.chaos", "the orders service runs in the app image, without the controller"),
    ("halab.app", "halab.lab", "the orders service knows nothing of the lab around it"),
    ("halab.app", "halab.dashboard", "the orders service knows nothing of the dashboard"),
    ("halab.lab", "halab.chaos", "the lab's status is below the controller"),
    ("halab.lab", "halab.dashboard", "the lab's status is below the dashboard"),
    ("halab.lab", "halab.testing", "the lab's status is below the pytest plugin"),
    ("halab.chaos", "halab.dashboard", "the controller does not know the dashboard that drives it"),
    ("halab.chaos", "halab.testing", "the controller does not know the pytest plugin"),
    ("halab.chaos.html", "halab.chaos.cli", "a view reads the journal, not the command line"),
    ("halab.chaos.report", "halab.chaos.cli", "a view reads the journal, not the command line"),
    ("halab.chaos.junit", "halab.chaos.cli", "a view reads the journal, not the command line"),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


@functools.cache
def imports() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for target in targets:
                while target not in mods and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in mods and target != name and target.startswith("halab"):
                    deps.add(target)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back_round_a_circle():
    assert cycles(imports()) == []


@pytest.mark.parametrize("depth", [2, 3])
def test_no_two_parts_import_each_other_beyond_the_known_debt(depth):
    graph = imports()
    cut = lambda m: ".".join(m.split(".")[:depth])  # noqa: E731
    arrows = {(cut(a), cut(b)) for a, deps in graph.items() for b in deps if cut(a) != cut(b)}
    mutual = {tuple(sorted(pair)) for pair in arrows if pair[::-1] in arrows}
    assert mutual - KNOWN_MUTUAL == set(), "a new pair of parts imports each other"


def test_the_known_debt_is_still_debt():
    graph = imports()
    arrows = {(".".join(a.split(".")[:d]), ".".join(b.split(".")[:d])) for d in (2, 3) for a, deps in graph.items() for b in deps}
    for pair in KNOWN_MUTUAL:
        assert pair in arrows and pair[::-1] in arrows, f"{pair} no longer import each other: take it off KNOWN_MUTUAL"


@pytest.mark.parametrize("importer, imported, why", FORBIDDEN)
def test_no_arrow_points_up(importer, imported, why):
    graph = imports()
    up = sorted(f"{a} -> {b}" for a, deps in graph.items() for b in deps
                if (a == importer or a.startswith(importer + ".")) and (b == imported or b.startswith(imported + ".")))
    assert up == [], f"{why}: {up}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
