"""Steady state: every service up and healthy, every role held exactly once, replicas caught up,
Sentinels in agreement, every Kafka partition fully in sync (`status.find_problems` is the one
definition). `make up` waits for it, game-day scenarios start from it and are timed back to it."""

from __future__ import annotations

import time
from collections.abc import Callable

from halab.lab.errors import SteadyStateTimeout
from halab.lab.status import LabStatus, collect

# Between two looks at the lab; one look itself takes ~1-2 s (it asks every system).
POLL_INTERVAL_S = 0.5
STEADY_STATE = "every service healthy, one holder of each role, replicas caught up, Sentinels agreeing"


def wait_for_steady_state(
    timeout_s: float,
    *,
    stop: Callable[[float], bool] | None = None,
    on_look: Callable[[LabStatus], None] | None = None,
    hold_s: float = 0.0,
) -> float:
    """Seconds until the lab had been steady on every look for `hold_s` (0: on one look).
    `stop(seconds)` waits between looks and returns True to abandon the wait (Ctrl-C);
    SteadyStateTimeout names what was still wrong when time ran out."""
    started = time.monotonic()
    steady_since: float | None = None
    while True:
        st = collect()
        if on_look:
            on_look(st)
        elapsed = time.monotonic() - started
        steady_since = (elapsed if steady_since is None else steady_since) if st.healthy else None
        if steady_since is not None and elapsed - steady_since >= hold_s:
            return elapsed
        # Steady when the time runs out: the hold is seen out (it is at most hold_s more).
        if steady_since is None and elapsed >= timeout_s:
            raise SteadyStateTimeout(STEADY_STATE, list(st.problems), timeout_s)
        if stop is not None and stop(POLL_INTERVAL_S):
            raise KeyboardInterrupt
        if stop is None:
            time.sleep(POLL_INTERVAL_S)
