"""What the lab's tools raise when they cannot go on, each carrying a sentence a person can act on.

    LabError                the base: the CLI prints str(error) (never a traceback) and exits
    |                       with error.exit_code; any other exception is a bug and keeps its traceback
    +-- FaultError          a fault could not be injected or reverted (a container's, a node's)
    +-- SteadyStateTimeout  the lab did not reach steady state in time (`make up`'s settle, before
                            a game-day scenario, or while recovering after one)

The chaos controller adds its own children of LabError (`halab.chaos.errors`), and re-exports
these, so `except` clauses on either module catch the same classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

STATUS_HINT = "run `make status` to see it; `make heal` undoes faults left behind"


class LabError(Exception):
    """Base of every error the tools report as a sentence. `hint`, when given, is printed on its
    own line after the message: what to do next."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n{hint}" if hint else message)


class FaultError(LabError):
    """A fault could not be injected or reverted (the container is gone, `tc` failed, ...)."""


class SteadyStateTimeout(LabError):
    """The lab did not reach steady state within `timeout_s`: says what was waited for, what was
    still wrong when time ran out, and how to look and clean up."""

    def __init__(self, waited_for: str, still_wrong: str | Sequence[str], timeout_s: float) -> None:
        self.waited_for = waited_for
        self.still_wrong: list[str] = [still_wrong] if isinstance(still_wrong, str) else list(still_wrong)
        self.timeout_s = timeout_s
        wrong = "\n".join(f"  {item}" for item in self.still_wrong) or "  (nothing reported)"
        super().__init__(
            f"the lab did not reach steady state within {timeout_s:g} s: waited for {waited_for}\n"
            f"still wrong:\n{wrong}",
            hint=STATUS_HINT,
        )
