"""The control: nothing is injected. The probes still run, so the scenario shows what the lab
does when left alone under load, and a role that moves anyway is a false failover (timings
too tight for the machine)."""

from __future__ import annotations

from halab.chaos.engine.faults.base import Fault


class NoFault(Fault):
    name = "none"

    def describe(self) -> str:
        return "nothing injected (control)"

    def inject(self) -> None:
        pass

    def revert(self) -> None:
        pass
