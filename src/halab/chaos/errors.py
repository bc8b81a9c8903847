"""What the chaos controller raises when it cannot go on, each carrying a sentence a person can act on.

    LabError                the base: the CLI prints str(error) (never a traceback) and exits
    |                       with error.exit_code; any other exception is a bug and keeps its traceback
    +-- ConfigError         a game-day file or a command-line option is invalid; .problems lists
    |                       every problem found (all at once, each with its path), nothing was run
    +-- FaultError          a fault could not be injected or reverted
    +-- SteadyStateTimeout  the lab did not reach steady state in time (before a scenario, or
                            while recovering after one)

The tree stays shallow on purpose: callers catch LabError, or one of its direct children when they
can do something different about it. LabError, FaultError and SteadyStateTimeout are defined in
`halab.lab.errors` (waiting for steady state is the lab's concern, `make up` does it too; the Swarm's node faults
raise FaultError too) and are
the same classes here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from halab.lab.errors import FaultError, LabError, SteadyStateTimeout


class ConfigError(LabError):
    """A game-day file or an option is invalid. `problems` holds one self-contained sentence per
    problem (for a file: `path.inside.it: what is wrong; what is allowed`); str() is the whole report:
    the lone problem, or `heading` followed by every problem on its own indented line."""

    exit_code: ClassVar[int] = 2  # like click's usage errors: the input was wrong, nothing ran

    def __init__(self, problems: str | Iterable[str], *, heading: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.heading = heading
        super().__init__(_report(self.problems, heading))


def _report(problems: list[str], heading: str | None) -> str:
    if not problems:
        return heading or "invalid configuration"
    if heading is None and len(problems) == 1:
        return problems[0]
    if heading is None:
        heading = f"{len(problems)} problems"
    body = "\n".join("  " + problem.replace("\n", "\n  ") for problem in problems)
    return f"{heading}:\n{body}"


__all__ = ["ConfigError", "FaultError", "LabError", "SteadyStateTimeout"]
