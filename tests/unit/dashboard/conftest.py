"""Fakes for the dashboard's controller: a lab where faults, probes and steady state are
recorded, not real. The schedule (baseline, the fault's duration) runs on the real clock but is
a fraction of a second long."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from halab.chaos.engine.records import ProbeTimeline, Request
from halab.chaos.gameday import parse_gameday
from halab.chaos.gameday.runner import Environment
from halab.dashboard.catalogue import Catalogue
from halab.dashboard.controller import FaultController, Hooks

GAMEDAY = """
title: tiny game day
defaults: {duration_s: 0.3, baseline_s: 0.1, http_rate: 20, probes: [http]}
scenarios:
  - name: idle
    description: nothing is injected
    fault: none
    budget: {max_failed_requests: 0}
  - name: app-kill
    description: An app replica is killed; HAProxy takes it out of rotation.
    fault: kill
    target: app
    budget: {max_failover_s: 5, max_failed_requests: 3}
  - name: pg-leader-kill
    description: The Postgres primary is killed; Patroni promotes the synchronous standby.
    fault: kill
    target: pg-leader
    duration_s: 0.5
    budget: {max_failover_s: 12}
"""


class FakeProbe:
    """Answers every 50 ms, ok, while started."""

    def __init__(self, name, clock, rate) -> None:
        self.name, self.clock = name, clock
        self.timeline = ProbeTimeline(name, rate=rate)
        self._stop = threading.Event()

    def start(self) -> None:
        def run():
            while not self._stop.wait(0.05):
                self.timeline.requests.append(Request(self.name, self.clock(), 0.01, "ok"))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def verify(self):
        return None


class FakeLab:
    def __init__(self) -> None:
        self.injected: list[str] = []
        self.reverted: list[str] = []
        self.deadlines: list[list] = []  # [seconds, what, disarmed]
        self.healed = 0
        self.interrupted: list[str] = []
        self.steady = threading.Event()  # set: the lab is steady (the wait before a scenario returns)
        self.steady.set()
        self.client = None

    def fault(self, name, lab, service, params):
        world = self

        class Fault:
            leftovers = () if name == "none" else ("stopped",)

            def describe(self):
                return f"{name} {service}"

            def check_available(self):
                pass

            def inject(self):
                world.injected.append(service)

            def revert(self):
                world.reverted.append(service)

        return Fault()

    def wait_for_steady_state(self, timeout_s, *, on_look, stop=None):
        while not self.steady.wait(0.02):
            if stop is not None and stop(0):
                raise KeyboardInterrupt
        return 0.0

    def arm_deadline(self, lab, seconds, what):
        armed = [seconds, what, False]
        self.deadlines.append(armed)
        return SimpleNamespace(disarm=lambda: armed.__setitem__(2, True))

    def env(self) -> Environment:
        return Environment(
            wait_for_steady_state=self.wait_for_steady_state,
            resolve_target=lambda lab, kind, name: {"app": "app1", "pg-leader": "pg1"}.get(name, name),
            make_fault=self.fault,
            make_probe=lambda name, clock, rate, run_id: FakeProbe(name, clock, rate),
            role_holder=lambda lab, role: None,
            roles_now=lambda: {},
            arm_deadline=self.arm_deadline,
        )

    def hooks(self) -> Hooks:
        def heal(lab):
            self.healed += 1
            return ["started app1"] if self.injected and len(self.reverted) < len(self.injected) else []

        def write_report(journal: Path) -> Path:
            path = journal.parent / "report.html"
            path.write_text("<html></html>")
            return path

        return Hooks(connect=lambda: self, heal=heal, collect_knobs=lambda lab: {}, interrupt=self.interrupt,
                     write_report=write_report)

    def interrupt(self, lab, container: str) -> None:
        self.interrupted.append(container)


@pytest.fixture
def fake_lab() -> FakeLab:
    return FakeLab()


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue(parse_gameday(GAMEDAY))


@pytest.fixture
def controller(fake_lab, catalogue, tmp_path) -> FaultController:
    return FaultController(catalogue, tmp_path / "reports", env=fake_lab.env(), hooks=fake_lab.hooks())
