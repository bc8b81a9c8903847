"""The one interface every fault implements.

A fault is built for one target, injected once and reverted at least once: `revert()` must be
idempotent and safe to call when `inject()` failed half-way or never ran, because the runner
calls it from `finally` blocks and signal handlers, and `make heal` may already have cleaned up.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from halab.chaos.lab import Lab


class FaultUnavailable(Exception):
    """This machine cannot inject the fault (e.g. no netem in the kernel): skip, never pass."""


class Fault(ABC):
    name: ClassVar[str]

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
