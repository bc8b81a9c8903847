"""Pydantic's validation errors turned into sentences: what is wrong and what is allowed, in the
words of the game-day file (`must be a number of seconds, got 'ten'`), never pydantic's own."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from halab.chaos.gameday.models import GameDay
from halab.chaos.schema import describe, suggest


def location(loc: tuple[str | int, ...]) -> str:
    """Where in the file, as users write it: `scenarios[3].budget.max_lost_writes.http`."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out or "top level"


_NUMBER_WORDS = {
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "int_parsing_size": "a whole number",
}
_UNITS = {"_ms": "milliseconds", "_s": "seconds"}  # by the field name's ending
_TYPE_WORDS = {
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list", "tuple_type": "must be a list",
    "dict_type": "must be a mapping (key: value)",
}
_BOUNDS = {
    "greater_than": ("gt", "must be greater than"), "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"), "less_than_equal": ("le", "must be at most"),
}


def sentence(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence: what is wrong, and what is allowed."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = error["loc"]
    if kind == "missing":
        if error["msg"].startswith("is required"):
            return error["msg"]
        field = _field_at(loc)
        hint = field.description if field is not None and field.description else None
        return f"is required ({hint})" if hint else "is required"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        key = str(loc[-1])
        if model is None:
            return f"unknown key '{key}'"
        allowed = [f.alias or n for n, f in model.model_fields.items()]
        message = f"unknown key '{key}'; allowed: {', '.join(allowed)}"
        hint = suggest(key, allowed)
        return f"{message}; did you mean '{hint}'?" if hint else message
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        model = _model_at(loc)
        keys = f" with keys {', '.join(f.alias or n for n, f in model.model_fields.items())}" if model else ""
        return f"must be a mapping{keys}, got {describe(value)}"
    if kind in _NUMBER_WORDS:
        field = str(loc[-1]) if loc else ""
        unit = next((f" of {unit}" for end, unit in _UNITS.items() if field.endswith(end)), "")
        return f"must be {_NUMBER_WORDS[kind]}{unit}, got {describe(value)}"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {describe(value)}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        limit = ctx.get(key)  # our own constant, made a float by a float field: 300, not 300.0
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"{words} {describe(limit)}, got {describe(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"must list at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        return f"must list at most {ctx.get('max_length')} items"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected')}, got {describe(value)}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    # Our own validators' messages are final; pydantic's start with a capital we lower.
    message = error["msg"]
    return message[:1].lower() + message[1:] if message else kind


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or isinstance(tp, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if isinstance(part, int):
        if origin in (list, tuple):
            return get_args(tp)[0]
        return None
    if origin is dict:
        return get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if (field.alias or name) == part:
                return field.annotation
    return None


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    tp: Any = GameDay
    for part in loc:
        if part == "[key]":
            return None
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field_at(loc: tuple[str | int, ...]) -> Any:
    if not loc:
        return None
    model = _model_at(loc[:-1])
    if model is None:
        return None
    return next((f for n, f in model.model_fields.items() if (f.alias or n) == loc[-1]), None)
