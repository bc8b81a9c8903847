"""The tables the docs quote from the lab's own files, generated so that they cannot drift:
the failover knobs from profiles/*.env, the default game day's budgets from its YAML, and the
code's layout from each package's docstring.

    make docs           rewrites every generated block in place
    tests/unit/test_docs.py fails when a block differs from what this renders

A block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in any doc."""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- generated:(\w+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.S)


def _profile(name: str) -> list[tuple[str, str, str]]:
    """(comment of the knob's group, knob, value) in file order."""
    rows, comment, after_knob = [], [], False
    for line in (ROOT / "profiles" / f"{name}.env").read_text().splitlines():
        if line.startswith("#"):
            comment = [] if after_knob else comment  # a comment after knobs starts a new group
            comment.append(line.lstrip("# ").strip())
            after_knob = False
        elif "=" in line:
            knob, value = line.split("=", 1)
            rows.append((" ".join(comment), knob, value))
            after_knob = True
        else:
            comment, after_knob = [], False
    return rows


def knobs() -> str:
    stock = {knob: value for _, knob, value in _profile("stock")}
    lines = ["| knob (`profiles/*.env`) | tuned | stock | what it sets |", "|---|---|---|---|"]
    last = None
    for comment, knob, value in _profile("tuned"):
        if knob == "HALAB_PROFILE":
            continue
        said = comment if comment != last else ""
        last = comment
        lines.append(f"| `{knob.removeprefix('HALAB_')}` | `{value}` | `{stock.get(knob, '(unset)')}` | {said} |")
    return "\n".join(lines) + "\n"


def _lost(budget: dict) -> str:
    lost = budget.get("max_lost_writes") or {}
    return ", ".join(f"{store} {n}" for store, n in lost.items()) or "-"


def budgets(path: str = "gamedays/default.yaml") -> str:
    doc = yaml.safe_load((ROOT / path).read_text())
    lines = ["| scenario | fault | max failover s (whose) | max failed requests | max lost writes |", "|---|---|---|---|---|"]
    for s in doc["scenarios"]:
        b = s.get("budget") or {}
        fault = s["fault"] if s["fault"] == "none" else f"{s['fault']} `{s.get('target', '')}`"
        whose = f" ({', '.join(b['failover_of'])})" if b.get("failover_of") else ""
        failover = f"{b['max_failover_s']:g}{whose}" if "max_failover_s" in b else "-"
        lines.append(f"| `{s['name']}` | {fault} | {failover} | {b.get('max_failed_requests', '-')} | {_lost(b)} |")
    return "\n".join(lines) + "\n"


def _summary(path: Path) -> str:
    """The first paragraph of a module's docstring, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _entry(name: str, text: str, width: int = 100, column: int = 25) -> list[str]:
    lines = textwrap.wrap(text, width - column) or [""]
    head = name.ljust(column) if len(name) < column else name + "\n" + " " * column
    return [head + lines[0], *(" " * column + line for line in lines[1:])]


def layout() -> str:
    """src/halab: each package with its docstring's first paragraph and its modules, rooms nested."""
    src = ROOT / "src"
    out = ["```text"]
    for module in sorted((src / "halab").glob("*.py")):
        if module.name != "__init__.py":
            out += _entry(f"src/halab/{module.name}", _summary(module))

    def package(path: Path, depth: int) -> None:
        name = f"src/{path.relative_to(src)}/" if depth == 0 else "  " * depth + f"{path.name}/"
        modules = sorted(m.stem for m in path.glob("*.py") if m.name != "__init__.py")
        text = _summary(path / "__init__.py") + (f" [{', '.join(modules)}]" if modules else "")
        out.extend(_entry(name, text))
        for sub in sorted(p for p in path.iterdir() if (p / "__init__.py").exists()):
            package(sub, depth + 1)

    for top in sorted(p for p in (src / "halab").iterdir() if (p / "__init__.py").exists()):
        package(top, 0)
    return "\n".join(out + ["```"]) + "\n"


RENDERERS = {"knobs": knobs, "budgets": budgets, "layout": layout}


def render(text: str) -> str:
    def one(m: re.Match) -> str:
        name = m.group(2)
        if name not in RENDERERS:
            raise SystemExit(f"unknown generated block '{name}'; available: {', '.join(RENDERERS)}")
        return m.group(1) + RENDERERS[name]() + m.group(4)

    return BLOCK.sub(one, text)


def main() -> int:
    changed = []
    for path in DOCS:
        if path.exists() and (new := render(text := path.read_text())) != text:
            path.write_text(new)
            changed.append(str(path.relative_to(ROOT)))
    print(f"docs: regenerated {', '.join(changed)}" if changed else "docs: every generated table is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
