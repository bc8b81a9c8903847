"""What a game day has done so far: the live `Progress` and each scenario's `ScenarioResult`.

The runner writes them; the views (the live view, the journal) only read them, and import this
module rather than the runner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from halab.chaos.engine.measure import ScenarioMeasures
    from halab.chaos.engine.probes.base import Probe
    from halab.chaos.engine.records import FaultWindow, ProbeTimeline, RoleChange
    from halab.chaos.gameday import Scenario


@dataclass
class Progress:
    """What the live view shows; the runner updates it, the view only reads it."""

    title: str
    total: int
    index: int = 0
    scenario: str = ""
    # What the scenario breaks and what should recover it (its description in the game day).
    description: str = ""
    fault: str = ""
    duration_s: float | None = None  # how long the fault stays injected: the countdown's start
    phase: str = "starting"
    phase_since: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.monotonic)
    probes: list[Probe] = field(default_factory=list)
    results: list[ScenarioResult] = field(default_factory=list)
    problems: tuple[str, ...] = ()
    # Set while a scenario runs again because its last attempt missed its budget (`rerun_misses`).
    rerun_of: str | None = None

    def enter(self, phase: str) -> None:
        self.phase, self.phase_since = phase, time.monotonic()


@dataclass
class ScenarioResult:
    scenario: Scenario
    verdict: str  # pass, fail, skipped
    reasons: list[str]
    service: str | None = None
    services: list[str] = field(default_factory=list)  # every service a fault hit (several: a double fault)
    fault_description: str | None = None
    started_at: str | None = None
    steady_before_s: float | None = None
    back_to_steady_s: float | None = None
    window: FaultWindow | None = None
    measures: ScenarioMeasures | None = None
    role_change: RoleChange | None = None
    # What kept the lab from steady state after the revert: problem -> seconds after the revert
    # it was last seen. Explains a slow "back to steady" to the audience.
    recovery_blockers: dict[str, float] = field(default_factory=dict)
    # It never recovered: the last distinct log lines of each service still wrong, which usually
    # say why (halab.lab.logs).
    recovery_logs: dict[str, list[str]] = field(default_factory=dict)
    timelines: list[ProbeTimeline] = field(default_factory=list)
    # The fault's revert raised: the lab may be left broken (the scenario fails, the game day stops).
    revert_error: str | None = None
    # Every reason is a number over its budget, nothing broken (see measure.Verdict): a miss that
    # `rerun_misses` may run again.
    only_over_budget: bool = False
    # Which run of its scenario this is (`rerun_misses`: 2 and up are reruns of a miss).
    attempt: int = 1
    # The attempts before this one that missed their budget (`rerun_misses`), oldest first.
    earlier_attempts: list["ScenarioResult"] = field(default_factory=list)
