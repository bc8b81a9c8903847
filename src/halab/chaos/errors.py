"""What the chaos controller raises when it cannot go on, each carrying a sentence a person can act on.

    LabError                the base: the CLI prints str(error) (never a traceback) and exits
    |                       with error.exit_code; any other exception is a bug and keeps its traceback
    +-- ConfigError         a game-day file or a command-line option is invalid; .problems lists
    |                       every problem found (all at once, each with its path), nothing was run
    +-- FaultError          a fault could not be injected or reverted
    +-- ProbeError          a probe could not start, or could not read back what it wrote
    +-- SteadyStateTimeout  the lab did not reach steady state in time (before a scenario, or
                            while recovering after one)

The tree stays shallow on purpose: callers catch LabError, or one of its direct children when they
can do something different about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

STATUS_HINT = "run `make status` to see it; `make heal` undoes faults left behind"


class LabError(Exception):
    """Base of every error the controller reports as a sentence. `hint`, when given, is printed on
    its own line after the message: what to do next."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n{hint}" if hint else message)


class ConfigError(LabError):
    """A game-day file or an option is invalid. `problems` holds one self-contained sentence per
    problem (for a file: `path.inside.it: what is wrong; what is allowed`); str() is the whole report:
    the lone problem, or `heading` followed by every problem on its own indented line."""

    exit_code: ClassVar[int] = 2  # like click's usage errors: the input was wrong, nothing ran

    def __init__(self, problems: str | Iterable[str], *, heading: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.heading = heading
        super().__init__(_report(self.problems, heading))


class FaultError(LabError):
    """A fault could not be injected or reverted (the container is gone, `tc` failed, ...)."""


class ProbeError(LabError):
    """A probe could not start, or could not read back what it wrote, so nothing can be concluded."""


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


def _report(problems: list[str], heading: str | None) -> str:
    if not problems:
        return heading or "invalid configuration"
    if heading is None and len(problems) == 1:
        return problems[0]
    if heading is None:
        heading = f"{len(problems)} problems"
    body = "\n".join("  " + problem.replace("\n", "\n  ") for problem in problems)
    return f"{heading}:\n{body}"
