"""Several faults at once (a scenario with `also`): a double fault is the same faults, injected
one after the other at the same moment and reverted together. Not in `FAULTS`: it is not a kind
of fault a scenario names, but how the runner holds the ones it names."""

from __future__ import annotations

from halab.chaos.engine.faults.base import Fault
from halab.chaos.errors import FaultError


class Together:
    """The runner's one fault for a scenario that names several: the same interface as `Fault`."""

    def __init__(self, faults: list[Fault]) -> None:
        if len({f.service for f in faults}) < len(faults):
            hit = [f.service for f in faults]
            raise FaultError(f"two faults of this scenario would hit the same service ({', '.join(hit)}): "
                             "its targets resolved to the same holder; the lab may not be in steady state")
        self.faults = faults
        # Everything any of them may leave behind, so the runner arms a deadline when one could.
        self.leftovers = tuple(kind for f in faults for kind in f.leftovers)
        self.service = faults[0].service

    def describe(self) -> str:
        return " + ".join(f.describe() for f in self.faults)

    def check_available(self) -> None:
        for f in self.faults:
            f.check_available()

    def inject(self) -> None:
        # One after the other, as fast as Docker answers: if one fails, the ones before it are
        # already in place, and the runner's clean-up reverts them all.
        for f in self.faults:
            f.inject()

    def revert(self) -> None:
        """Reverts every fault, the last injected first, even when one of them fails; then raises
        the failures together."""
        failed = []
        for f in reversed(self.faults):
            try:
                f.revert()
            except Exception as e:
                failed.append(f"{f.describe()}: {e}")
        if failed:
            raise FaultError("; ".join(failed))
