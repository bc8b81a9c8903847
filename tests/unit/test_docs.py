"""Docs that cannot drift: every `make` target and `halab` command the docs name exists, every
relative link and anchor resolves, every table quoted from the lab's files is the one
`make docs` renders from them, and the README stays a short page for users."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import docs_tables  # noqa: E402

USER_DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md"))]
ALL_DOCS = [*USER_DOCS, ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]
# Design notes, written as the work went (their own pages say so); the rest speak to users.
NOTES = {"swarm.md", "kubernetes.md"}
README_MAX_LINES = 260


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def without_fences(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def commands(text: str) -> list[str]:
    """What a reader would type: console lines after `$ `, and inline code that starts with a
    command, including `docker compose run --rm chaos halab ...`."""
    found = []
    for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M):
        found += [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    found += re.findall(r"`([^`\n]+)`", without_fences(text))
    return [c.strip() for c in found]


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


def named_make_targets(text: str) -> list[str]:
    names = []
    for command in commands(text):
        for m in re.finditer(r"(?:^|&& |; |\| )make ((?:[A-Z_]+=\S+ )*)([a-z][a-z-]*)", command):
            names.append(m.group(2))
    return names


def halab_cli() -> click.Group:
    from halab.cli import main

    return main


def named_halab_commands(text: str) -> list[list[str]]:
    found = []
    for command in commands(text):
        m = re.search(r"(?:^|\s)halab ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", command)
        if m and not command.startswith(("halab/", "halab dashboard:", "halab doctor:")):
            found.append(m.group(1).split())
    return found


def github_anchor(heading: str) -> str:
    text = re.sub(r"`", "", heading.strip().lower())
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6} (.+)$", without_fences(path.read_text()), flags=re.M):
        slug = github_anchor(heading)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else f"{slug}-{n}")
    return result


@pytest.mark.parametrize("doc", ALL_DOCS, ids=rel)
def test_every_make_target_named_exists(doc):
    if not doc.exists():
        pytest.fail(f"{rel(doc)} is missing")
    missing = sorted(set(named_make_targets(doc.read_text())) - make_targets())
    assert missing == [], f"{rel(doc)} names make targets that the Makefile lacks: {missing}"


@pytest.mark.parametrize("doc", [d for d in ALL_DOCS if d.name != "CHANGELOG.md"], ids=rel)
def test_every_halab_command_named_exists(doc):
    cli = halab_cli()
    problems = []
    for words in named_halab_commands(doc.read_text()):
        ctx = click.Context(cli)
        first = cli.get_command(ctx, words[0])
        if first is None:
            problems.append(f"halab {words[0]}")
        elif isinstance(first, click.Group) and len(words) > 1 and first.get_command(ctx, words[1]) is None:
            problems.append(f"halab {' '.join(words)}")
    assert problems == [], f"{rel(doc)} names halab commands that do not exist: {sorted(set(problems))}"


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", ALL_DOCS, ids=rel)
def test_every_relative_link_and_anchor_resolves(doc):
    problems = []
    for target in LINK.findall(without_fences(doc.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.exists():
            problems.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading '{anchor}' in {rel(dest)}")
    assert problems == []


def test_the_anchor_rule_is_githubs():
    assert github_anchor("The game day: `make chaos`") == "the-game-day-make-chaos"
    assert github_anchor("Every single failure, and the N+1 limit") == "every-single-failure-and-the-n1-limit"
    assert github_anchor("RTO and RPO (2026-11-24)") == "rto-and-rpo-2026-11-24"


@pytest.mark.parametrize("doc", ALL_DOCS, ids=rel)
def test_every_generated_table_is_what_make_docs_renders(doc):
    text = doc.read_text()
    assert docs_tables.render(text) == text, f"{rel(doc)}: a table differs from its source; run make docs"


def test_the_knob_and_budget_tables_are_in_the_docs_and_come_from_the_files():
    text = "\n".join(d.read_text() for d in USER_DOCS)
    assert "<!-- generated:knobs -->" in text and "<!-- generated:budgets -->" in text
    assert "| `PATRONI_TTL` | `5` | `30` |" in docs_tables.knobs()  # as profiles/*.env say today


def test_the_readme_is_a_short_page_for_users():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; keep it at most {README_MAX_LINES}"


FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|me|my|we|We|our|Our|us)\b")


@pytest.mark.parametrize("doc", [d for d in USER_DOCS if d.name not in NOTES], ids=rel)
def test_user_docs_speak_to_the_user_not_of_the_authors(doc):
    lines = [f"{n}: {line.strip()}" for n, line in enumerate(without_fences(doc.read_text()).splitlines(), 1)
             if FIRST_PERSON.search(re.sub(r"`[^`]*`", "", line))]
    assert lines == [], f"{rel(doc)} speaks in the first person"
