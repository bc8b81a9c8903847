"""The one interface every fault implements, and the base of every fault's params.

A fault is built for one target, injected once and reverted at least once: `revert()` must be
idempotent and safe to call when `inject()` failed half-way or never ran, because the runner
calls it from `finally` blocks and signal handlers, and `make heal` may already have cleaned up.

A fault class is the one definition of its fault: its `name` in game days, its `params_model`
(what a game day may set, checked when the file is loaded), whether it only `degrades` its
target or `takes_out` it, and the `leftovers` it leaves in the lab while injected, which `make heal` undoes when
the controller died before reverting. `halab.chaos.engine.faults.FAULTS` lists the classes; everything
else reads them from there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from halab.chaos.engine.faults.leftovers import Leftover
from halab.chaos.engine.handle import Lab
from halab.chaos.engine.targets import Target
from halab.chaos.schema import Problem, StrictModel


class FaultUnavailable(Exception):
    """This machine cannot inject the fault (e.g. no netem in the kernel): skip, never pass."""


class FaultParams(StrictModel):
    """A fault's `params:` in a game day. Each fault with parameters subclasses it."""

    def problems_with(self, target: Target) -> list[Problem]:
        """What is wrong with these params on this target, found when the game day is loaded."""
        return []

    def note(self) -> str:
        """What `halab chaos validate` shows after the target, e.g. ` (haproxy, SIGKILL)`."""
        return ""

    def for_fault(self, resolve: Callable[[Target], str] | None = None) -> dict[str, Any]:
        """The params as the fault class takes them: a plain dict. `resolve` names the holder of a
        role target now, for params that name targets."""
        return self.model_dump(by_alias=True)


class NoParams(FaultParams):
    """kill, stop, pause, restart and none take no parameters."""


class Fault(ABC):
    name: ClassVar[str]
    params_model: ClassVar[type[FaultParams]] = NoParams
    # Degrades its target without taking it out (delay, loss): no role change is expected by default.
    degrades: ClassVar[bool] = False
    # Takes its target out of every client's and peer's reach for the whole duration (kill, stop,
    # pause, partition): the target role's failover mechanism has to act, and `predict` models it
    # from that mechanism's timers. A restart comes back within the fault; a node fault takes out
    # several members at once: neither is one mechanism's failover.
    takes_out: ClassVar[bool] = False
    # What it leaves in the lab while injected, for `make heal` (see `leftovers`).
    leftovers: ClassVar[tuple[Leftover, ...]] = ()

    def __init__(self, lab: Lab, service: str, params: dict[str, Any] | None = None) -> None:
        self.lab = lab
        self.service = service
        self.params = params or {}

    @abstractmethod
    def inject(self) -> None: ...

    @abstractmethod
    def revert(self) -> None: ...

    def describe(self) -> str:
        return f"{self.name} {self.service}"

    def check_available(self) -> None:
        """Raises FaultUnavailable when the machine cannot inject this fault."""
