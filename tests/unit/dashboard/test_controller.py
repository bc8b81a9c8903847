"""The dashboard's fault and halt buttons, against a fake lab: one fault at a time unless a double
fault is asked for, every fault reverted and recorded like a game-day scenario, halt ends it now."""

from __future__ import annotations

import json
import threading
import time

import pytest

from halab.chaos.errors import ConfigError
from halab.chaos.views import broadcast
from halab.dashboard.controller import Busy


def finished(run, timeout_s: float = 10.0):
    assert run.done.wait(timeout_s), f"{run.scenario} did not finish"
    return run.summary()


def test_a_fault_from_the_dashboard_runs_as_a_scenario_and_lands_in_a_journal_and_a_report(controller, fake_lab):
    run = controller.start({"scenario": "app-kill"})
    summary = finished(run)

    assert (fake_lab.injected, fake_lab.reverted) == (["app1"], ["app1", "app1"])  # the revert, then the safety net
    assert [d[2] for d in fake_lab.deadlines] == [True]  # it had a deadline until its revert succeeded
    assert summary["status"] == "completed" and summary["verdict"] == "pass" and summary["failed_requests"] == 0
    journal = json.loads((controller.reports / summary["journal"]).read_text())
    assert journal["gameday_file"] == 'dashboard request {"scenario": "app-kill"}' and [s["name"] for s in journal["scenarios"]] == ["app-kill"]
    assert (controller.reports / summary["report"]).exists()
    assert controller.snapshot()["recent"][0]["run_id"] == run.runner.run_id


def test_a_custom_fault_borrows_the_description_and_budget_of_the_preset_that_does_the_same(controller, fake_lab):
    run = controller.start({"fault": "kill", "target": "pg-leader", "duration_s": 0.2})
    sc = run.gameday.scenarios[0]
    assert (sc.name, sc.duration_s, sc.budget.max_failover_s) == ("pg-leader-kill", 0.2, 12)
    assert sc.description.startswith("The Postgres primary is killed")
    finished(run)


def test_one_fault_at_a_time_unless_a_double_fault_is_asked_for_and_never_more_than_two(controller, fake_lab):
    fake_lab.steady.clear()  # the first run waits for steady state: it stays active
    first = controller.start({"scenario": "app-kill"})
    with pytest.raises(Busy, match=r"a fault is already running \(app-kill\).*\"double\": true"):
        controller.start({"scenario": "pg-leader-kill"})
    second = controller.start({"scenario": "pg-leader-kill", "double": True})
    assert second.double and not first.double
    with pytest.raises(Busy, match="at most 2 at once"):
        controller.start({"scenario": "app-kill", "double": True})
    # The double fault did not wait for the steady state the first one took away.
    deadline = time.monotonic() + 5
    while fake_lab.injected != ["pg1"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake_lab.injected == ["pg1"]
    fake_lab.steady.set()
    finished(second)
    finished(first)


def test_halt_ends_a_running_fault_at_once_and_it_is_still_measured_and_recorded(controller, fake_lab):
    run = controller.start({"scenario": "app-kill", "duration_s": 120})
    deadline = time.monotonic() + 5
    while not run.injected and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    done = controller.halt()
    assert time.monotonic() - started < 5  # not the fault's 120 s
    assert done["halted"] == ["app-kill"] and fake_lab.healed == 1
    summary = finished(run)
    assert summary["status"] == "completed" and fake_lab.reverted[0] == "app1"
    assert summary["failover_s"] is not None  # the shortened fault was judged like any other


def test_halt_before_the_fault_is_injected_cancels_it(controller, fake_lab):
    fake_lab.steady.clear()
    run = controller.start({"scenario": "app-kill"})
    controller.halt()
    summary = finished(run)
    assert summary["status"] == "aborted" and fake_lab.injected == []
    assert (controller.reports / summary["journal"]).exists()


def test_a_game_day_that_make_chaos_runs_blocks_single_faults_and_halt_interrupts_its_controller(controller, fake_lab):
    live = controller.reports / broadcast.FILE_NAME
    live.parent.mkdir(parents=True)
    live.write_text(json.dumps({"title": "HA lab default game day", "controller": "0123456789ab", "published_unix": time.time()}))
    with pytest.raises(Busy, match="the game day 'HA lab default game day' \\(make chaos\\)"):
        controller.start({"scenario": "app-kill"})

    fake_lab.interrupt = lambda lab, container: (fake_lab.interrupted.append(container), live.unlink())
    controller.hooks.interrupt = fake_lab.interrupt
    done = controller.halt()
    assert fake_lab.interrupted == ["0123456789ab"]
    assert done["interrupted"] == ["the game day 'HA lab default game day' (make chaos, container 0123456789ab)"]
    assert fake_lab.healed == 1


def test_a_bad_request_is_refused_before_anything_runs(controller, fake_lab):
    with pytest.raises(ConfigError) as e:
        controller.start({"fault": "kil", "target": "pg-leader"})
    assert "fault: unknown fault 'kil'" in str(e.value) and "did you mean 'kill'?" in str(e.value)
    assert controller.snapshot() == {"active": [], "recent": []} and fake_lab.injected == []


def test_a_fault_that_misses_its_budget_is_injected_once_even_when_the_game_day_reruns_misses(fake_lab, tmp_path):
    # The default game day reruns a miss (rerun_misses: 2). From the dashboard a rerun would kill a
    # second Postgres leader nobody asked for; after a halt, with no hold at all (once in CI).
    from halab.chaos.engine.records import Request
    from halab.chaos.gameday import parse_gameday
    from halab.dashboard.catalogue import Catalogue
    from halab.dashboard.controller import FaultController

    from .conftest import GAMEDAY, FakeProbe

    class FailingProbe(FakeProbe):
        """Errors while the killed replica is down: more than app-kill's 3 failed requests."""

        def start(self) -> None:
            def run():
                while not self._stop.wait(0.05):
                    down = len(fake_lab.reverted) < len(fake_lab.injected)
                    self.timeline.requests.append(Request(self.name, self.clock(), 0.01, "error" if down else "ok"))

            self._thread = threading.Thread(target=run, daemon=True)
            self._thread.start()

    env = fake_lab.env()
    env = type(env)(**{**env.__dict__, "make_probe": lambda name, clock, rate, run_id: FailingProbe(name, clock, rate)})
    gameday = parse_gameday(GAMEDAY.replace("probes: [http]}", "probes: [http], rerun_misses: 2}"))
    assert gameday.defaults.rerun_misses == 2
    controller = FaultController(Catalogue(gameday), tmp_path / "reports", env=env, hooks=fake_lab.hooks())

    run = controller.start({"scenario": "app-kill"})
    summary = finished(run)
    assert run.gameday.defaults.rerun_misses == 0
    assert summary["verdict"] == "fail" and "requests failed, budget 3" in " ".join(summary["reasons"])
    assert fake_lab.injected == ["app1"]
