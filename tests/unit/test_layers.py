"""Which part of halab may import which: the arrows point down. Drawn from the code (every
import, also one inside a function or under TYPE_CHECKING), so a new cycle or an import back up
fails here first.

    halab.cli, halab.*.cli       the command lines: above everything
    halab.dashboard, halab.testing   users of the controller
    halab.chaos                  the controller, in rooms (LAYERS below, top first)
    halab.swarm                  the Swarm backend: the engine's node faults use it, it knows no
                                 controller
    halab.lab                    the lab's status, roles, containers and a fault's deadline
    halab.app                    the orders service: imports nothing else of halab
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# The controller's rooms, top first: a room imports only the rooms after it.
LAYERS = [
    "halab.chaos.cli",       # the command line
    "halab.chaos.views",     # table, HTML report, JUnit, live view, guided mode: read journals
    "halab.chaos.analysis",  # availability, SPOF sweep, witness cross-check, bench: over journals
    "halab.chaos.journal",   # the record of a run: written once, read by everything above
    "halab.chaos.gameday",   # the plan (a game day's scenarios) and the runner that carries it out
    "halab.chaos.engine",    # faults, probes, targets, measures, heal: what acts on the lab
    "halab.chaos.schema",    # the building blocks of strict configuration
    "halab.chaos.errors",    # what the controller raises
    "halab.swarm",
    "halab.lab",
]
PARTS = ["halab.cli", "halab.dashboard", "halab.testing", "halab.chaos", "halab.swarm", "halab.lab"]

# Imports inside a function are for command lines only (so that `--help` stays quick and a
# command's dependencies load with it); elsewhere an import in a function hides an arrow.
LATE_IMPORTS_ALLOWED = {
    "halab.app": "the app factory builds its real clients on demand: its tests pass fakes instead",
    "halab.app.gunicorn_conf": "a gunicorn hook runs in the worker, after the fork",
}

FORBIDDEN = [  # (importer prefix, imported prefix, why)
    ("halab.app", "halab.chaos", "the orders service runs in the app image, without the controller"),
    ("halab.app", "halab.lab", "the orders service knows nothing of the lab around it"),
    ("halab.app", "halab.swarm", "the orders service knows nothing of the Swarm"),
    ("halab.app", "halab.dashboard", "the orders service knows nothing of the dashboard"),
    ("halab.lab", "halab.chaos", "the lab's status is below the controller"),
    ("halab.lab", "halab.swarm", "the lab's status is below the Swarm backend"),
    ("halab.lab", "halab.dashboard", "the lab's status is below the dashboard"),
    ("halab.lab", "halab.testing", "the lab's status is below the pytest plugin"),
    ("halab.swarm", "halab.chaos", "the Swarm backend is below the engine that uses its node faults"),
    ("halab.chaos", "halab.dashboard", "the controller does not know the dashboard that drives it"),
    ("halab.chaos", "halab.testing", "the controller does not know the pytest plugin"),
    ("halab.testing", "halab.dashboard", "the pytest plugin does not know the dashboard"),
    ("halab.dashboard", "halab.testing", "the dashboard does not know the pytest plugin"),
]
# Every room of the controller below another must not import it.
FORBIDDEN += [(low, high, f"{low} is below {high}") for i, high in enumerate(LAYERS) for low in LAYERS[i + 1:]
              if high.startswith("halab.chaos")]


def _is_cli(name: str) -> bool:
    return name == "halab.cli" or name.endswith(".cli")


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


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_no_two_parts_import_each_other(depth):
    graph = imports()
    cut = lambda m: ".".join(m.split(".")[:depth])  # noqa: E731
    arrows = {(cut(a), cut(b)) for a, deps in graph.items() for b in deps if cut(a) != cut(b)}
    assert sorted({tuple(sorted(pair)) for pair in arrows if pair[::-1] in arrows}) == []


def test_every_room_of_the_controller_is_in_a_layer():
    rooms = {".".join(m.split(".")[:3]) for m in modules() if m.startswith("halab.chaos.")}
    assert rooms <= set(LAYERS), f"a new room or module at the top of halab.chaos: place it in LAYERS: {sorted(rooms - set(LAYERS))}"


def test_no_import_of_halab_hides_in_a_function():
    hidden = []
    for name, path in modules().items():
        if _is_cli(name) or name in LATE_IMPORTS_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("halab")):
                        hidden.append(f"{name}:{node.lineno} from {node.module}")
                    elif isinstance(node, ast.Import) and any(a.name.startswith("halab") for a in node.names):
                        hidden.append(f"{name}:{node.lineno} import {node.names[0].name}")
    assert hidden == [], "an import inside a function hides an arrow; put it at the top of its module"


@pytest.mark.parametrize("importer, imported, why", FORBIDDEN)
def test_no_arrow_points_up(importer, imported, why):
    graph = imports()
    up = sorted(f"{a} -> {b}" for a, deps in graph.items() for b in deps
                if (a == importer or a.startswith(importer + ".")) and (b == imported or b.startswith(imported + ".")))
    assert up == [], f"{why}: {up}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
