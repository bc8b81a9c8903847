"""Runs a game day: for each scenario, steady state -> probes -> fault -> revert -> steady state
-> read-back -> measures -> verdict. Every fault is reverted: at the end of its scenario, on any
error, and on Ctrl-C or SIGTERM (the revert itself is shielded from a second Ctrl-C).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import docker

from halab.chaos import measure, steady, targets
from halab.chaos.errors import FaultError, LabError, SteadyStateTimeout
from halab.chaos.faults import FAULTS, Fault, FaultUnavailable
from halab.chaos.gameday import GameDay, Scenario
from halab.chaos.lab import Lab
from halab.chaos.probes import PROBES, Probe
from halab.chaos.records import FaultWindow, ProbeTimeline, RoleChange

# After the lab is steady again, probes keep running this long, so a recovery that happened just
# before has a full stable second to be seen in.
TAIL_S = 2.0
ROLE_POLL_S = 0.5


@dataclass
class Progress:
    """What the live view shows; the runner updates it, the view only reads it."""

    title: str
    total: int
    index: int = 0
    scenario: str = ""
    fault: str = ""
    phase: str = "starting"
    phase_since: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.monotonic)
    probes: list[Probe] = field(default_factory=list)
    results: list["ScenarioResult"] = field(default_factory=list)
    problems: tuple[str, ...] = ()

    def enter(self, phase: str) -> None:
        self.phase, self.phase_since = phase, time.monotonic()


@dataclass
class ScenarioResult:
    scenario: Scenario
    verdict: str  # pass, fail, skipped
    reasons: list[str]
    service: str | None = None
    fault_description: str | None = None
    started_at: str | None = None
    steady_before_s: float | None = None
    back_to_steady_s: float | None = None
    window: FaultWindow | None = None
    measures: measure.ScenarioMeasures | None = None
    role_change: RoleChange | None = None
    # What kept the lab from steady state after the revert: problem -> seconds after the revert
    # it was last seen. Explains a slow "back to steady" to the audience.
    recovery_blockers: dict[str, float] = field(default_factory=dict)
    timelines: list[ProbeTimeline] = field(default_factory=list)


class RoleWatcher:
    """Polls who holds the target's role while the scenario runs, to report the role change."""

    def __init__(self, lab: Lab, role: str, old_holder: str, clock) -> None:
        self.lab, self.role, self.old, self.clock = lab, role, old_holder, clock
        self.new: str | None = None
        self.first_seen: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="role-watcher", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                holder = targets.ROLE_RESOLVERS[self.role](self.lab)
            except Exception:  # mid-failover the systems asked may not answer; look again
                holder = None
            if holder and holder != self.old and self.first_seen is None:
                self.new, self.first_seen = holder, self.clock()
            self._stop.wait(ROLE_POLL_S)

    def __enter__(self) -> "RoleWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> RoleChange:
        return RoleChange(self.role, self.old, self.new, self.first_seen)


@contextlib.contextmanager
def shielded_from_interrupts():
    """Cleanup must finish even if the user presses Ctrl-C again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


class GameDayRunner:
    def __init__(self, gameday: GameDay, lab: Lab, progress: Progress | None = None) -> None:
        self.gameday = gameday
        self.lab = lab
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:4]
        self.t0 = time.monotonic()
        self.progress = progress or Progress(gameday.title, len(gameday.scenarios))
        self._interrupted = threading.Event()

    def clock(self) -> float:
        return time.monotonic() - self.t0

    def wait(self, seconds: float) -> None:
        """Holds a phase of the schedule (a fault's duration, the baseline): not a test sleep."""
        if self._interrupted.wait(seconds):
            raise KeyboardInterrupt

    def run(self, scenarios: list[Scenario]) -> list[ScenarioResult]:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _raise_interrupt)
        results = self.progress.results
        for i, scenario in enumerate(scenarios, 1):
            self.progress.index, self.progress.scenario = i, scenario.name
            results.append(self.run_scenario(scenario))
        self.progress.enter("done")
        return results

    # -- one scenario ----------------------------------------------------------------------------
    def run_scenario(self, sc: Scenario) -> ScenarioResult:
        d = self.gameday.defaults
        result = ScenarioResult(sc, "fail", [], started_at=datetime.now(timezone.utc).isoformat())
        self.progress.fault, self.progress.probes = f"{sc.fault} {sc.target or ''}".strip(), []

        self.progress.enter("waiting for steady state")
        try:
            result.steady_before_s = steady.wait_for_steady_state(d.steady_timeout_s, on_look=self._look)
        except SteadyStateTimeout as e:
            result.reasons = [f"the lab was not in steady state before the scenario: {'; '.join(e.still_wrong)}"]
            return result

        roles_before = self._roles_now() if sc.target is None else None
        try:
            service = targets.resolve(self.lab, sc.target.kind, sc.target.name) if sc.target else "-"
            params = sc.fault_params(resolve=lambda t: targets.resolve(self.lab, t.kind, t.name))
        except FaultError as e:
            result.reasons = [str(e)]
            return result
        fault: Fault = FAULTS[sc.fault](self.lab, service, params)
        result.service, result.fault_description = service, fault.describe()
        self.progress.fault = fault.describe() + (f"  ({sc.target})" if sc.target else "")
        try:
            fault.check_available()
        except FaultUnavailable as e:
            result.verdict, result.reasons = "skipped", [f"skipped: {e}"]
            return result

        probes = [PROBES[name](self.clock, d.http_rate if name == "http" else d.write_rate, f"{self.run_id}-{sc.name}")
                  for name in (sc.probes or d.probes)]
        self.progress.probes = probes
        started: list[Probe] = []
        watcher = None
        injected_at = reverted_at = None
        try:
            for p in probes:
                p.start()
                started.append(p)
            self.progress.enter("baseline")
            self.wait(d.baseline_s)

            role = sc.target.name if sc.target and sc.target.kind == "role" and sc.target.name in targets.WATCHED_ROLES else None
            watcher = RoleWatcher(self.lab, role, service, self.clock) if role else None
            with watcher or contextlib.nullcontext():
                self.progress.enter("fault active")
                injected_at = self.clock()
                fault.inject()
                self.wait(sc.duration_s or d.duration_s)
                self.progress.enter("reverting")
                with shielded_from_interrupts():
                    reverted_at = self.clock()
                    fault.revert()
                self.progress.enter("recovering")

                def note_blockers(st) -> None:
                    self._look(st)
                    for problem in st.problems:
                        result.recovery_blockers[problem] = round(self.clock() - reverted_at, 1)

                try:
                    steady.wait_for_steady_state(d.recovery_timeout_s, on_look=note_blockers)
                    result.back_to_steady_s = self.clock() - reverted_at
                except SteadyStateTimeout as e:
                    result.reasons.append(f"the lab did not return to steady state within {d.recovery_timeout_s:g} s: {'; '.join(e.still_wrong)}")
                self.wait(TAIL_S)
        except LabError as e:
            result.reasons.append(f"the scenario could not run: {e}")
        except docker.errors.DockerException as e:
            result.reasons.append(f"the scenario could not run: Docker refused: {e}")
        except Exception as e:
            # A probe that cannot even connect (e.g. its pool times out) fails this scenario, in
            # the journal with its reason, and the game day goes on to the next one.
            result.reasons.append(f"the scenario could not run: {e!r}")
        finally:
            with shielded_from_interrupts():
                fault.revert()
                self.progress.enter("verifying writes")
                for p in started:
                    p.stop()
        run_end = self.clock()

        for p in started:
            p.timeline.check = p.verify()
        result.timelines = [p.timeline for p in started]
        result.role_change = watcher.result() if watcher else None
        if injected_at is None:
            result.reasons = result.reasons or ["the fault was never injected"]
            return result
        result.window = FaultWindow(injected_at, reverted_at)
        result.measures = measure.measure_scenario(result.timelines, result.window, run_end=run_end)
        verdict = measure.judge(result.measures, sc.budget)
        result.reasons = [*result.reasons, *verdict.reasons]
        if roles_before is not None:
            roles_after = self._roles_now()
            result.reasons += [f"false failover: {role} moved {roles_before[role]} → {roles_after[role]} while nothing was injected"
                               for role in roles_before if roles_after[role] != roles_before[role]]
        rc = result.role_change
        if sc.expects_role_change() and rc is not None and rc.new_holder is None:
            result.reasons.append(f"{rc.role} was expected to move away from {rc.old_holder}, but no new holder was seen")
        result.verdict = "pass" if not result.reasons else "fail"
        return result

    @staticmethod
    def _roles_now() -> dict[str, object]:
        """Who holds each role, and Postgres's timeline (a failover and back still bumps it)."""
        from halab.lab.status import collect

        st = collect()
        leader = st.pg.member(st.pg.leader) if st.pg.leader else None
        return {"vip_holder": st.vip_holder, "pg_leader": st.pg.leader, "pg_timeline": leader.timeline if leader else None,
                "redis_master": st.redis.master, "kafka_controller": st.kafka.controller,
                "etcd_leader": next((n for n, r in st.etcd.items() if r == "leader"), None)}

    def _look(self, st) -> None:
        self.progress.problems = st.problems
