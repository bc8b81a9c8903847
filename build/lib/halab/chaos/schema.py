"""The building blocks of strictly checked configuration: game days and each fault's params.

Models are frozen and forbid unknown keys; numbers are taken strictly; every message is a sentence
a person can act on (`unknown fault 'kil'; available: kill, stop, ...; did you mean 'kill'?`).
`halab.chaos.gameday` turns the errors raised with these into its report, each with its path and
line in the file.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, BeforeValidator, ConfigDict, Strict, StrictInt, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

# Numbers taken strictly: YAML's `true` is an int to Python and `.inf`/`.nan` are floats, yet none
# of them is a number of seconds or of requests; a quoted "10" is text.
Number = Annotated[float, Strict(), AllowInfNan(False)]
Count = StrictInt

# One problem a validator found: (where, relative to the model; kind; sentence; the value given).
Problem = tuple[tuple[str | int, ...], str, str, Any]


class StrictModel(BaseModel):
    """The base of every configuration model: frozen, unknown keys refused, fields by name or alias."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def suggest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest choice to a mistyped value, or None when nothing is close."""
    lowered = {c.lower(): c for c in choices}
    if value.lower() in lowered:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def unknown(what: str, value: object, choices: tuple[str, ...] | list[str], *, label: str = "available") -> str:
    """`unknown fault 'kil'; available: kill, stop, ...; did you mean 'kill'?`"""
    if not isinstance(value, str):
        return f"must be one of: {', '.join(choices)}, got {describe(value)}"
    message = f"unknown {what} '{value}'; {label}: {', '.join(choices)}"
    hint = suggest(value, choices)
    return f"{message}; did you mean '{hint}'?" if hint else message


def describe(value: object) -> str:
    """A short rendering of a YAML value for messages: `'ten'`, `500`, `a list`, `nothing`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"  # as YAML spells it
        # repr, not :g, which shows 300.0001 as 300
        return repr(value) if math.isfinite(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def custom_error(kind: str, message: str) -> PydanticCustomError:
    """An error for a validator to raise, carrying our own sentence."""
    # No context: the message is final, braces in user input are left alone.
    return PydanticCustomError(kind, message)


def fail(title: str, problems: list[Problem]) -> ValidationError:
    """A ValidationError carrying (loc, kind, message, input) problems; raised inside a validator,
    pydantic prefixes each loc with the validator's own position."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=custom_error(kind, msg), loc=loc, input=value) for loc, kind, msg, value in problems]
    )


def carry(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of `exc`, ready to be raised again together with more."""
    return [
        InitErrorDetails(type=PydanticCustomError(e["type"], e["msg"], e.get("ctx")), loc=e["loc"], input=e["input"])
        for e in exc.errors()
    ]


def one_of(what: str, choices: tuple[str, ...]) -> BeforeValidator:
    """A validator that lets through one of `choices` and names them all otherwise."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        raise custom_error(f"unknown_{what}", unknown(what, value, choices))

    return BeforeValidator(check)
