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
) -> float:
    """Seconds until the lab was steady. `stop(seconds)` waits between looks and returns True to
    abandon the wait (Ctrl-C); SteadyStateTimeout names what was still wrong when time ran out."""
    started = time.monotonic()
    while True:
        st = collect()
        if on_look:
            on_look(st)
        elapsed = time.monotonic() - started
        if st.healthy:
            return elapsed
        if elapsed >= timeout_s:
            raise SteadyStateTimeout(STEADY_STATE, list(st.problems), timeout_s)
        if stop is not None and stop(POLL_INTERVAL_S):
            raise KeyboardInterrupt
        if stop is None:
            time.sleep(POLL_INTERVAL_S)
