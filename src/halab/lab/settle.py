"""`make up`'s last step: wait until the lab is in steady state, the same state every game-day
scenario starts from (`status.find_problems` is the one definition), saying what it still waits
for as it goes. Container health checks pass seconds before the roles settle: Patroni names a
synchronous standby, the Sentinels agree and Kafka's replicas join the ISR a little later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from halab.lab import steady
from halab.lab.errors import SteadyStateTimeout
from halab.lab.status import LabStatus

# "Lab ready" must still be true a moment later: once, a look found the VIP held and the next,
# 3 s later, found it held by neither load balancer (CI, 2026-11-23). Two or more looks in a
# row, this far apart, must all be steady.
HOLD_S = 2.0


@dataclass
class Settled:
    seconds: float
    status: LabStatus


class _Narrator:
    """Prints the unmet conditions whenever they change, with the seconds waited so far."""

    def __init__(self, echo: Callable[[str], None], started: float) -> None:
        self.echo, self.started, self.last = echo, started, None
        self.status: LabStatus | None = None

    def __call__(self, st: LabStatus) -> None:
        self.status = st
        now = tuple(st.problems)
        if now != self.last and now:
            self.echo(f"[{time.monotonic() - self.started:5.1f} s] waiting for the lab to settle:")
            for problem in now:
                self.echo(f"    - {problem}")
        self.last = now


def settle(timeout_s: float, echo: Callable[[str], None] = print) -> Settled:
    """Waits up to `timeout_s` for steady state, then `HOLD_S` more in which it must hold;
    SteadyStateTimeout names what was still wrong."""
    narrator = _Narrator(echo, time.monotonic())
    seconds = steady.wait_for_steady_state(timeout_s, on_look=narrator, hold_s=HOLD_S)
    assert narrator.status is not None  # the waiter looks at least once
    return Settled(seconds, narrator.status)


__all__ = ["Settled", "SteadyStateTimeout", "settle"]
