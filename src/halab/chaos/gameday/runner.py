"""Runs a game day: for each scenario, steady state -> probes -> fault -> revert -> steady state
-> read-back -> measures -> verdict. Every fault is reverted: at the end of its scenario, on any
error, and on Ctrl-C or SIGTERM. A signal that lands while a revert runs is held back until the
revert is done, then stops the game day. A revert that fails fails its scenario and stops the game
day too: no next fault is injected into a lab that may still be broken.

Everything the runner touches outside itself (the lab's state, targets, faults, probes, the clock,
waiting) comes through an `Environment`, so tests can run whole scenarios with fakes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import docker

from halab.chaos.engine import measure, targets
from halab.chaos.engine.faults import FAULTS, Fault, FaultUnavailable
from halab.chaos.engine.faults.together import Together
from halab.chaos.engine.handle import Lab
from halab.chaos.engine.probes import PROBES, Probe
from halab.chaos.engine.records import FaultWindow, RoleChange
from halab.chaos.errors import FaultError, LabError, SteadyStateTimeout
from halab.chaos.gameday import GameDay, Scenario
from halab.chaos.gameday.progress import Progress, ScenarioResult
from halab.lab import deadline, logs, steady, tiers
from halab.lab import status as lab_status

# After the lab is steady again, probes keep running this long, so a recovery that happened just
# before has a full stable second to be seen in.
TAIL_S = 2.0
ROLE_POLL_S = 0.5


def roles_now() -> dict[str, object]:
    """Who holds each leading role (`halab.lab.tiers`), and Postgres's timeline (a failover and
    back still bumps it)."""
    st = lab_status.collect()
    shown = st.to_json()
    leader = st.pg.member(st.pg.leader) if st.pg.leader else None
    return {**{r.status_key: shown[r.status_key] for r in tiers.leaders()},
            "pg_timeline": leader.timeline if leader else None}


def _make_fault(name: str, lab: Lab, service: str, params: dict) -> Fault:
    return FAULTS[name](lab, service, params)


def _make_probe(name: str, clock: Callable[[], float], rate: float, run_id: str) -> Probe:
    return PROBES[name](clock, rate, run_id)


def _role_holder(lab: Lab, role: str) -> str | None:
    return targets.ROLES[role].holder(lab)


class _NoDeadline:
    def disarm(self) -> None:
        pass


@dataclass(frozen=True)
class Environment:
    """The runner's seams: the real lab by default, fakes in tests."""

    wait_for_steady_state: Callable[..., float] = steady.wait_for_steady_state  # (timeout_s, *, on_look) -> seconds
    resolve_target: Callable[[Lab, str, str], str] = targets.resolve  # (lab, kind, name) -> service
    make_fault: Callable[[str, Lab, str, dict], Fault] = _make_fault  # (fault name, lab, service, params)
    make_probe: Callable[[str, Callable[[], float], float, str], Probe] = _make_probe  # (name, clock, rate, run id)
    role_holder: Callable[[Lab, str], str | None] = _role_holder  # (lab, role) -> service, polled during a fault
    roles_now: Callable[[], dict[str, object]] = roles_now  # every role's holder, around a control scenario
    # (lab, seconds, what) -> something with disarm(): the fault's own deadline (`deadline.arm`)
    arm_deadline: Callable[[Lab, float, str], object] = lambda lab, after_s, what: deadline.arm(lab.client, after_s, what)
    # The distinct log tails of services the lab was still wrong about, when it did not recover.
    log_tails: Callable[[list[str]], dict[str, list[str]]] = logs.tails
    clock: Callable[[], float] = time.monotonic
    # Holds a phase of the schedule (the baseline, the fault's duration, the tail): not a test sleep.
    wait: Callable[[float], None] = time.sleep


class RoleWatcher:
    """Polls who holds the target's role while the scenario runs, to report the role change."""

    def __init__(self, holder: Callable[[], str | None], role: str, old_holder: str, clock: Callable[[], float]) -> None:
        self.holder, self.role, self.old, self.clock = holder, role, old_holder, clock
        self.new: str | None = None
        self.first_seen: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="role-watcher", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                holder = self.holder()
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
    """Clean-up must finish even if the user presses Ctrl-C again. A SIGINT or SIGTERM that lands
    in it is held back, not dropped: it is raised as KeyboardInterrupt as soon as the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: held.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if held:
            raise KeyboardInterrupt(f"signal {held[0]}, held back until the clean-up was done")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _sentence(e: Exception) -> str:
    return str(e) if isinstance(e, (LabError, docker.errors.DockerException)) else repr(e)


@dataclass
class FaultRun:
    """What happened between starting the probes and stopping them, for the judge."""

    probes: list[Probe] = field(default_factory=list)  # the ones that started
    injected_at: float | None = None
    inject_returned_at: float | None = None
    reverted_at: float | None = None
    run_end: float | None = None  # when the probes were told to stop scheduling
    role_change: RoleChange | None = None
    deadline: object = field(default_factory=_NoDeadline)  # disarmed once the revert succeeded


class GameDayRunner:
    def __init__(self, gameday: GameDay, lab: Lab, progress: Progress | None = None, env: Environment | None = None) -> None:
        self.gameday = gameday
        self.lab = lab
        self.env = env or Environment()
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:4]
        self.t0 = self.env.clock()
        # The same instant on the wall clock, so that outside clients' timestamps (the witness)
        # can be laid over the run-relative times of the journal.
        self.t0_unix = time.time()
        self.progress = progress or Progress(gameday.title, len(gameday.scenarios))
        # "<scenario> (<fault>): <error>" once a revert failed: the lab may be left broken.
        self.revert_failed: str | None = None

    def clock(self) -> float:
        return self.env.clock() - self.t0

    def run(self, scenarios: list[Scenario], *, before_each: Callable[[Scenario, int, int], bool] | None = None,
            after_each: Callable[[ScenarioResult], None] | None = None) -> list[ScenarioResult]:
        """Runs the scenarios in order; stops after one whose revert failed (see `revert_failed`).
        `before_each` (guided mode) may stop the game day before a scenario by returning False;
        `after_each` sees each result."""
        main = threading.current_thread() is threading.main_thread()
        previous_term = signal.signal(signal.SIGTERM, _raise_interrupt) if main else None
        try:
            for i, scenario in enumerate(scenarios, 1):
                self.progress.index, self.progress.scenario = i, scenario.name
                if before_each is not None and not before_each(scenario, i, len(scenarios)):
                    break
                self.progress.results.append(self._run_confirming_misses(scenario))
                if after_each is not None:
                    after_each(self.progress.results[-1])
                if self.revert_failed:
                    break
            self.progress.enter("done")
        finally:
            if previous_term is not None:
                signal.signal(signal.SIGTERM, previous_term)
        return self.progress.results

    def _run_confirming_misses(self, scenario: Scenario) -> ScenarioResult:
        """Runs the scenario; while it only missed numeric budgets, runs it again, up to the game
        day's `rerun_misses` times. The last attempt decides; the earlier ones ride along on it,
        so the journal keeps every miss (a busy laptop's one slow second is told apart from a
        failover that is always slow, and neither is hidden)."""
        earlier: list[ScenarioResult] = []
        result = self.run_scenario(scenario)
        while (result.verdict == "fail" and result.only_over_budget and not self.revert_failed
               and len(earlier) < self.gameday.defaults.rerun_misses):
            earlier.append(result)
            self.progress.rerun_of = f"run {len(earlier) + 1}: run {len(earlier)} missed its budget ({'; '.join(result.reasons)})"
            result = self.run_scenario(scenario, attempt=len(earlier) + 1)
        self.progress.rerun_of = None
        result.earlier_attempts = earlier
        return result

    # -- one scenario ----------------------------------------------------------------------------
    def run_scenario(self, sc: Scenario, attempt: int = 1) -> ScenarioResult:
        result = ScenarioResult(sc, "fail", [], started_at=datetime.now(timezone.utc).isoformat(), attempt=attempt)
        self.progress.fault, self.progress.probes = f"{sc.fault} {sc.target or ''}".strip(), []
        self.progress.description, self.progress.duration_s = " ".join(sc.description.split()), sc.duration_s
        if not self._steady_before(result):
            return result
        roles_before = self.env.roles_now() if sc.target is None else None
        fault = self._prepare_fault(result)
        if fault is None:
            return result
        run = self._run_fault(fault, result)
        self._judge(result, run, roles_before)
        return result

    def _steady_before(self, result: ScenarioResult) -> bool:
        self.progress.enter("waiting for steady state")
        try:
            result.steady_before_s = self.env.wait_for_steady_state(self.gameday.defaults.steady_timeout_s, on_look=self._look)
        except SteadyStateTimeout as e:
            result.reasons = [f"the lab was not in steady state before the scenario: {'; '.join(e.still_wrong)}"]
            return False
        return True

    def _prepare_fault(self, result: ScenarioResult) -> Fault | None:
        """Resolves the target to a service now and builds the fault; None (with the reason on the
        result) when it cannot run here."""
        sc = result.scenario
        resolve = lambda t: self.env.resolve_target(self.lab, t.kind, t.name)  # noqa: E731
        try:
            service = resolve(sc.target) if sc.target else "-"
            fault = self.env.make_fault(sc.fault, self.lab, service, sc.fault_params(resolve=resolve))
            if sc.also:  # a double fault: the others too, each on its own target's holder now
                fault = Together([fault, *(self.env.make_fault(a.fault, self.lab, resolve(a.target), a.fault_params(resolve=resolve))
                                           for a in sc.also)])
        except FaultError as e:
            result.reasons = [str(e)]
            return None
        result.service, result.fault_description = service, fault.describe()
        result.services = [f.service for f in fault.faults] if sc.also else [service]
        self.progress.fault = fault.describe() + (f"  ({sc.target})" if sc.target else "")
        try:
            fault.check_available()
        except FaultUnavailable as e:
            result.verdict, result.reasons = "skipped", [f"skipped: {e}"]
            return None
        return fault

    def _run_fault(self, fault: Fault, result: ScenarioResult) -> FaultRun:
        """Probes, baseline, inject, hold, revert, recovery; the clean-up always runs."""
        sc, d, run = result.scenario, self.gameday.defaults, FaultRun()
        # The write probes key their rows by this id and count from 1: a rerun needs its own.
        run_id = f"{self.run_id}-{sc.name}" + (f"-run{result.attempt}" if result.attempt > 1 else "")
        probes = [self.env.make_probe(name, self.clock, d.http_rate if name == "http" else d.write_rate, run_id)
                  for name in sc.probes]
        self.progress.probes = probes
        watcher = self._role_watcher(sc, result.service)
        try:
            if fault.leftovers:  # something to undo if this controller dies: give it a deadline
                run.deadline = self.env.arm_deadline(self.lab, d.baseline_s + sc.duration_s, f"{sc.name}: {fault.describe()}")
            for p in probes:
                p.start()
                run.probes.append(p)
            self.progress.enter("baseline")
            self.env.wait(d.baseline_s)
            with watcher or contextlib.nullcontext():
                self.progress.enter("fault active")
                run.injected_at = self.clock()
                fault.inject()
                run.inject_returned_at = self.clock()
                result.fault_description = fault.describe()  # a node fault names its node once it found it
                self.env.wait(sc.duration_s)
                self.progress.enter("reverting")
                with shielded_from_interrupts():
                    run.reverted_at = self.clock()
                    self._revert(fault, result, run)
                if result.revert_error is None:  # a lab left broken will not recover: do not wait for it
                    self._recover(result, run.reverted_at)
        except LabError as e:
            result.reasons.append(f"the scenario could not run: {e}")
        except docker.errors.DockerException as e:
            result.reasons.append(f"the scenario could not run: Docker refused: {e}")
        except Exception as e:
            # A probe that cannot even connect (e.g. its pool times out) fails this scenario, in
            # the journal with its reason, and the game day goes on to the next one.
            result.reasons.append(f"the scenario could not run: {e!r}")
        finally:
            self._clean_up(fault, run, result)
        run.role_change = watcher.result() if watcher else None
        return run

    def _role_watcher(self, sc: Scenario, service: str) -> RoleWatcher | None:
        if not (sc.target and sc.target.kind == "role" and targets.ROLES[sc.target.name].hands_over):
            return None
        role = sc.target.name
        return RoleWatcher(lambda: self.env.role_holder(self.lab, role), role, service, self.clock)

    def _recover(self, result: ScenarioResult, reverted_at: float) -> None:
        """Waits for steady state again, noting what kept the lab from it, then the tail."""
        d = self.gameday.defaults
        self.progress.enter("recovering")

        def note_blockers(st) -> None:
            self._look(st)
            for problem in st.problems:
                result.recovery_blockers[problem] = round(self.clock() - reverted_at, 1)

        try:
            self.env.wait_for_steady_state(d.recovery_timeout_s, on_look=note_blockers)
            result.back_to_steady_s = self.clock() - reverted_at
        except SteadyStateTimeout as e:
            result.reasons.append(f"the lab did not return to steady state within {d.recovery_timeout_s:g} s: {'; '.join(e.still_wrong)}")
            try:
                result.recovery_logs = self.env.log_tails(logs.services_concerned(e.still_wrong))
            except Exception as looked:  # evidence only: the verdict is decided already
                result.recovery_logs = {"(logs)": [f"could not read the logs: {looked!r}"]}
        self.env.wait(TAIL_S)

    def _clean_up(self, fault: Fault, run: FaultRun, result: ScenarioResult) -> None:
        """Reverts again (the safety net when inject, the hold or the recovery raised, or Ctrl-C
        came; faults' revert is idempotent), then stops the probes, whatever the revert did."""
        with shielded_from_interrupts():
            try:
                self._revert(fault, result, run)
            finally:
                self.progress.enter("verifying writes")
                # The run ends when the probes stop scheduling, not once they drained: a request
                # answered while draining must not complete a "full stable second".
                run.run_end = self.clock()
                for p in run.probes:
                    p.stop()

    def _revert(self, fault: Fault, result: ScenarioResult, run: FaultRun) -> None:
        """Reverts, keeping the first failure on the result and the runner instead of raising. Once
        a revert succeeded the fault's deadline is disarmed; after a failed one it stays armed, to
        heal what the revert could not."""
        try:
            fault.revert()
            if result.revert_error is None:
                run.deadline.disarm()
        except Exception as e:
            if result.revert_error is None:
                result.revert_error = _sentence(e)
                self.revert_failed = f"{result.scenario.name} ({fault.describe()}): {result.revert_error}"

    def _judge(self, result: ScenarioResult, run: FaultRun, roles_before: dict[str, object] | None) -> None:
        sc = result.scenario
        for p in run.probes:
            p.timeline.check = p.verify()
        result.timelines = [p.timeline for p in run.probes]
        result.role_change = run.role_change
        if result.revert_error is not None:
            result.reasons.insert(0, f"reverting the fault failed: {result.revert_error}; run `make heal` to undo it")
        if run.injected_at is None:
            result.reasons = result.reasons or ["the fault was never injected"]
            return
        result.window = FaultWindow(run.injected_at, run.reverted_at, run.inject_returned_at)
        result.measures = measure.measure_scenario(result.timelines, result.window, run_end=run.run_end)
        verdict = measure.judge(result.measures, sc.budget)
        result.reasons = [*result.reasons, *verdict.reasons]
        if roles_before is not None:
            roles_after = self.env.roles_now()
            result.reasons += [f"false failover: {role} moved {roles_before[role]} → {roles_after[role]} while nothing was injected"
                               for role in roles_before if roles_after[role] != roles_before[role]]
        rc = result.role_change
        if sc.expects_role_change() and rc is not None and rc.new_holder is None:
            result.reasons.append(f"{rc.role} was expected to move away from {rc.old_holder}, but no new holder was seen")
        # A miss may be rerun only when nothing but the numbers broke (no revert error, no false
        # failover, no role change that never came).
        result.only_over_budget = verdict.only_over_budget and result.reasons == verdict.reasons
        result.verdict = "pass" if not result.reasons else "fail"

    def _look(self, st) -> None:
        self.progress.problems = st.problems
