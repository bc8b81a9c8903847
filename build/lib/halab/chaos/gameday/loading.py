"""Reading a game-day file: YAML that is safe to read (no keys given twice, no nesting deep enough
to exhaust the stack), validated as a whole, every problem reported at once with its path and line."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from halab.chaos.errors import ConfigError
from halab.chaos.gameday.models import GameDay
from halab.chaos.gameday.sentences import location, sentence

# PyYAML composes nodes recursively, so a file nested a few thousand levels deep would end in a
# RecursionError. A game day needs 5 levels (scenarios[0].budget.max_lost_writes.http); stop at 20.
MAX_NESTING = 20


class _TooDeep(yaml.YAMLError):
    """A node deeper than MAX_NESTING, at `mark`."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(mark)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that also notes keys given twice in one mapping (PyYAML keeps the last silently)
    and stops at MAX_NESTING levels, before the recursive composer runs out of stack."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[yaml.Node, yaml.Node]] = []  # (repeated key, first key)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self._depth > MAX_NESTING:
            raise _TooDeep(self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                self.duplicate_keys.append((key_node, seen[key]))
            else:
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_gameday(path: str | PathLike[str], *, display_name: str | None = None) -> GameDay:
    """Reads and validates a game-day file; raises ConfigError reporting every problem at once.
    `display_name` is what messages call the file (e.g. its path on the host, when the controller
    runs in a container); by default, `path`."""
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"game-day file '{name}' not found") from None
    except IsADirectoryError:
        raise ConfigError(f"game-day file '{name}' is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"game-day file '{name}' cannot be read: {exc}") from None
    return parse_gameday(text, source=name)


def parse_gameday(text: str, source: str = "<game day>") -> GameDay:
    """Validates game-day YAML text; `source` names it in messages."""
    try:
        return _parse(text, source)
    except RecursionError:
        # The backstop: _Loader bounds the nesting, but a user's file must never end in a traceback.
        raise ConfigError(_too_deep(source)) from None


def _too_deep(source: str, mark: yaml.Mark | None = None) -> str:
    where = (f"more than {MAX_NESTING} levels, at line {mark.line + 1}, column {mark.column + 1}"
             if mark else "more levels than can be read")
    return (f"game-day file '{source}' is nested too deeply ({where}); "
            "a game day needs at most 5, as in scenarios[0].budget.max_lost_writes.http")


def _parse(text: str, source: str) -> GameDay:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _TooDeep as exc:
        raise ConfigError(_too_deep(source, exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_yaml_error(source, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"game-day file '{source}' is not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        raise ConfigError(f"game-day file '{source}' is empty; it needs at least a title and scenarios")

    found: list[tuple[int, str]] = []  # (line, problem)
    for key_node, first in loader.duplicate_keys:
        line = key_node.start_mark.line + 1
        found.append((line, f"{location(_loc_of(root, first))}: given twice, on lines {first.start_mark.line + 1} "
                            f"and {line}; give each key once (line {line})"))
    gameday: GameDay | None = None
    try:
        gameday = GameDay.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            line = _line_of(root, error["loc"])
            suffix = f" (line {line})" if line else ""
            found.append((line or 0, f"{location(error['loc'])}: {sentence(error)}{suffix}"))
    if found or gameday is None:
        problems = [problem for _, problem in sorted(found, key=lambda item: item[0])]
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigError(problems, heading=f"invalid game-day file '{source}' ({count})")
    gameday._source = source
    return gameday


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node `loc` reaches in the YAML (the parent for a missing key)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if part == "[key]":
            break
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _loc_of(node: yaml.Node, wanted: yaml.Node, seen: set[int] | None = None) -> tuple[str | int, ...]:
    """The path to the mapping key node `wanted` (for messages about the YAML itself)."""
    # Each node once: an alias is its anchor's node again, and `&a [*a]` contains itself.
    seen = set() if seen is None else seen
    if id(node) in seen:
        return ()
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key is wanted:
                return (str(key.value),)
            found = _loc_of(value, wanted, seen)
            if found:
                return (str(key.value), *found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _loc_of(item, wanted, seen)
            if found:
                return (index, *found)
    return ()


def _yaml_error(source: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "syntax error"
    if mark is None:
        return f"game-day file '{source}' is not valid YAML: {what}"
    message = f"game-day file '{source}' is not valid YAML: line {mark.line + 1}, column {mark.column + 1}: {what}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    snippet = mark.get_snippet()
    return f"{message}\n{snippet}" if snippet else message
