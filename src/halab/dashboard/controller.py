"""The dashboard's fault buttons and its halt button.

A fault asked for from the dashboard runs as a one-scenario game day on the same runner as `make
chaos`: from steady state, with the same probes, the same fault classes, the fault's own deadline
(a watchdog container, `halab.lab.deadline`, so that killing the dashboard never leaves a fault
behind) and the same journal and HTML report in `reports/<run-id>/`.

One fault at a time: a second one, or one while `make chaos` runs a game day, is refused unless the
request says `"double": true`; a double fault starts at once, without waiting for a steady state
the first fault has taken away, and is measured by its own probes.

Halt ends every fault now: the dashboard's own runs revert at once and are still measured and
recorded; a game day that `make chaos` runs is interrupted (as Ctrl-C would), and then `make
heal` undoes whatever is left.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from halab.chaos.engine.handle import Lab
from halab.chaos.engine.heal import heal
from halab.chaos.engine.knobs import collect_knobs
from halab.chaos.gameday import GameDay
from halab.chaos.gameday.runner import Environment, GameDayRunner
from halab.chaos.journal import store as journal_mod
from halab.chaos.views import broadcast
from halab.chaos.views.html import write_report
from halab.dashboard.catalogue import Catalogue

log = logging.getLogger(__name__)

MAX_AT_ONCE = 2  # a fault, and a second one when the trainer asks for a double fault
RECENT = 8  # finished runs the dashboard lists
# How long halt waits for a controller's own revert before healing, so that the two never undo
# the same thing at the same moment.
REVERT_WAIT_S = 30.0


class Busy(Exception):
    """A fault is already running and the request did not ask for a double fault."""


@dataclass
class DashboardRun:
    gameday: GameDay
    runner: GameDayRunner
    double: bool
    request: dict = field(default_factory=dict)  # as asked for, to reproduce it
    cut_short: threading.Event = field(default_factory=threading.Event)
    injected: bool = False
    reverted: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    status: str = "running"  # then completed, aborted (halted before the fault), crashed, stopped
    journal: str | None = None  # reports-relative paths, once written
    report: str | None = None
    error: str | None = None

    @property
    def scenario(self) -> str:
        return self.gameday.scenarios[0].name

    def summary(self) -> dict:
        results = self.runner.progress.results
        result = results[0] if results else None
        m = result.measures if result else None
        return {"run_id": self.runner.run_id, "scenario": self.scenario, "status": self.status, "double": self.double,
                "verdict": result.verdict if result else None, "reasons": list(result.reasons) if result else [],
                "failover_s": None if m is None or m.failover_s is None else round(m.failover_s, 2),
                "failed_requests": m.requests_failed if m else None,
                "journal": self.journal, "report": self.report, "error": self.error}


@dataclass
class Hooks:
    """What the controller does to the world beyond the runner: the real lab by default."""

    connect: Callable[[], Lab] = Lab.connect
    heal: Callable[[Lab], list[str]] = None  # type: ignore[assignment]
    collect_knobs: Callable[[Lab], dict] = None  # type: ignore[assignment]
    interrupt: Callable[[Lab, str], None] = None  # type: ignore[assignment]  # (lab, container) -> SIGINT it
    write_report: Callable[[Path], Path] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.heal = self.heal or heal
        self.collect_knobs = self.collect_knobs or collect_knobs
        self.interrupt = self.interrupt or (lambda lab, name: lab.client.containers.get(name).kill(signal="SIGINT"))
        self.write_report = self.write_report or write_report


class FaultController:
    def __init__(self, catalogue: Catalogue, reports: Path, *, env: Environment | None = None, hooks: Hooks | None = None) -> None:
        self.catalogue, self.reports = catalogue, reports
        self.env = env or Environment()
        self.hooks = hooks or Hooks()
        self._lock = threading.Lock()
        self._active: list[DashboardRun] = []
        self._recent: deque[DashboardRun] = deque(maxlen=RECENT)

    # -- faults ------------------------------------------------------------------------------------
    def start(self, request: object) -> DashboardRun:
        """Starts the fault a request asks for; ConfigError for a bad request, Busy when one runs."""
        gameday = self.catalogue.scenario_for(request)
        double = bool(isinstance(request, dict) and request.get("double") is True)
        with self._lock:
            running = [r.scenario for r in self._active]
            published = broadcast.read_published(self.reports)
            if published:
                running.append(f"the game day '{published.get('title')}' (make chaos)")
            if running and not double:
                raise Busy(f"a fault is already running ({', '.join(running)}): wait for it to end, press halt, "
                           'or ask for a double fault with "double": true')
            if len(running) >= MAX_AT_ONCE:
                raise Busy(f"{len(running)} faults are running ({', '.join(running)}); the dashboard injects at most "
                           f"{MAX_AT_ONCE} at once")
            lab = self.hooks.connect()
            run = DashboardRun(gameday, None, double=bool(running), request=dict(request))  # type: ignore[arg-type]
            run.runner = GameDayRunner(gameday, lab, env=self._environment(run))
            self._active.append(run)
        threading.Thread(target=self._run, args=(run, lab), name=f"dashboard-{run.scenario}", daemon=True).start()
        return run

    def _environment(self, run: DashboardRun) -> Environment:
        """The runner's seams, so that halt can cut the fault short and a double fault starts at once."""
        env = self.env

        def wait(seconds: float) -> None:
            # A halt ends the hold at once; before the fault is in, it cancels the run instead.
            if run.cut_short.wait(seconds) and not run.injected:
                raise KeyboardInterrupt("halted from the dashboard before the fault was injected")

        def wait_for_steady_state(timeout_s: float, *, on_look) -> float:
            if run.injected:  # the recovery is measured to the end, halted or not
                return env.wait_for_steady_state(timeout_s, on_look=on_look)
            if run.double:  # the first fault took steady state away: start at once
                return 0.0
            return env.wait_for_steady_state(timeout_s, on_look=on_look, stop=run.cut_short.wait)

        def make_fault(name, lab, service, params):
            fault = env.make_fault(name, lab, service, params)
            inject, revert = fault.inject, fault.revert

            def injecting() -> None:
                run.injected = True  # first: a halt during the injection must still revert
                inject()

            def reverting() -> None:
                try:
                    revert()
                finally:
                    run.reverted.set()

            fault.inject, fault.revert = injecting, reverting
            return fault

        return replace(env, wait=wait, wait_for_steady_state=wait_for_steady_state, make_fault=make_fault)

    def _run(self, run: DashboardRun, lab: Lab) -> None:
        started, status, error = datetime.now(timezone.utc), "completed", None
        knobs: dict = {}
        try:
            knobs = self.hooks.collect_knobs(lab)
            run.runner.run(list(run.gameday.scenarios))
        except KeyboardInterrupt:
            status = "aborted"
        except Exception as e:  # the faults were reverted on the way out; say what happened
            status, error = "crashed", e
            log.exception("the dashboard's fault run crashed")
        if status == "completed" and run.runner.revert_failed:
            status = "stopped"
        try:
            doc = journal_mod.build(run_id=run.runner.run_id, title=run.gameday.title, file=journal_mod.FROM_DASHBOARD + json.dumps(run.request),
                                    started=started,
                                    status=status, knobs=knobs, results=run.runner.progress.results,
                                    revert_error=run.runner.revert_failed, t0_unix=run.runner.t0_unix)
            path = journal_mod.write(doc, self.reports)
            run.journal = str(path.relative_to(self.reports))
            run.report = str(self.hooks.write_report(path).relative_to(self.reports))
        except Exception as e:
            error = error or e
            log.exception("the dashboard could not record its run")
        run.status, run.error = status, None if error is None else repr(error)
        with self._lock:
            self._active.remove(run)
            self._recent.appendleft(run)
        run.reverted.set()
        run.done.set()

    # -- halt --------------------------------------------------------------------------------------
    def cut_short_all(self) -> list[DashboardRun]:
        """Ends the dashboard's own faults now and waits for their reverts."""
        with self._lock:
            active = list(self._active)
        for run in active:
            run.cut_short.set()
        for run in active:
            run.reverted.wait(REVERT_WAIT_S)
        return active

    def halt(self) -> dict:
        """Ends every fault now (see the module's docstring); says what it did."""
        active = self.cut_short_all()
        lab = self.hooks.connect()
        interrupted = []
        published = broadcast.read_published(self.reports)
        if published and published.get("controller"):
            try:
                self.hooks.interrupt(lab, published["controller"])
                interrupted.append(f"the game day '{published.get('title')}' (make chaos, container {published['controller']})")
            except Exception as e:
                interrupted.append(f"could not interrupt the game day's controller {published['controller']}: {e}")
            deadline = time.monotonic() + REVERT_WAIT_S
            while broadcast.read_published(self.reports) and time.monotonic() < deadline:
                time.sleep(0.5)  # its clean-up reverts, then removes the file: not a test sleep
        done = {"halted": [r.scenario for r in active], "interrupted": interrupted, "healed": []}
        try:
            done["healed"] = self.hooks.heal(lab)
        except Exception as e:  # the faults are ended either way; say what is left to do
            log.exception("heal after halt failed")
            done["error"] = f"the faults were ended, but healing the lab failed ({e}); run 'make heal'"
        return done

    # -- views -------------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self._lock:
            active, recent = list(self._active), list(self._recent)
        return {
            "active": [{**broadcast.snapshot(r.runner.progress, source="dashboard"), "run_id": r.runner.run_id,
                        "double": r.double, "injected": r.injected, "halted": r.cut_short.is_set()} for r in active],
            "recent": [r.summary() for r in recent],
        }

    def wait_idle(self, timeout_s: float) -> bool:
        """True once no fault of the dashboard runs (for a clean shutdown)."""
        with self._lock:
            active = list(self._active)
        return all(r.done.wait(timeout_s) for r in active)
