"""The game-day runner, whole scenarios at a time, against a fake lab: fake time (waiting advances
it), fake faults and fake probes that fail while the fake outage lasts. No Docker, no sleeping."""

from __future__ import annotations

import json
import signal
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from halab.chaos import cli
from halab.chaos.engine.records import ProbeTimeline, Request, WriteCheck
from halab.chaos.errors import FaultError, SteadyStateTimeout
from halab.chaos.gameday import parse_gameday, runner
from halab.chaos.gameday.runner import Environment, GameDayRunner
from halab.chaos.journal import facts
from halab.chaos.journal.schema import parse
from halab.chaos.journal import store as journal

STEP_S = 0.125  # fake time moves in exact binary steps: one request per probe per step
RATE = 8  # = 1 / STEP_S, the rate the game day asks of the probes
OUTAGE_S = 1.5  # how long clients see failures after an injection, before the lab fails over

GAMEDAY = f"""
title: fake game day
defaults: {{duration_s: 4, baseline_s: 2, http_rate: {RATE}, write_rate: {RATE}, probes: [http, postgres]}}
scenarios:
  - name: app1-kill
    description: kills one app replica
    fault: kill
    target: service:app1
    budget: {{max_failover_s: 3, max_failed_requests: 20, max_lost_writes: {{postgres: 0}}}}
  - name: app2-kill
    description: kills another
    fault: kill
    target: service:app2
    budget: {{max_failover_s: 3}}
"""


class FakeFault:
    def __init__(self, world: "World", name: str, service: str) -> None:
        self.world, self.name, self.service = world, name, service

    @property
    def leftovers(self) -> tuple[str, ...]:
        return () if self.name == "none" else ("stopped",)

    def describe(self) -> str:
        return f"kill {self.service}"

    def check_available(self) -> None:
        pass

    def inject(self) -> None:
        self.world.injected.append(self.service)
        if self.name != "none":
            self.world.broken_until = self.world.now + (self.world.outages.pop(0) if self.world.outages else OUTAGE_S)

    def revert(self) -> None:
        self.world.reverted.append(self.service)
        self.world.on_revert()


class FakeProbe:
    """One request per step while started: refused during the outage, else answered at once."""

    def __init__(self, world: "World", name: str, clock, rate: float) -> None:
        self.world, self.name, self.clock = world, name, clock
        self.timeline = ProbeTimeline(name, rate=rate)
        self.stop_requested_at: float | None = None

    def start(self) -> None:
        self.world.running.append(self)

    def tick(self) -> None:
        seq = len(self.timeline.requests) + 1
        outcome = "ok" if self.world.now >= self.world.broken_until else "refused"
        self.timeline.requests.append(Request(self.name, self.clock(), 0.0625, outcome, seq=seq if self.name != "http" else None))

    def stop(self) -> None:
        self.stop_requested_at = self.clock()
        self.world.running.remove(self)
        self.world.stopped.append(self.name)
        self.world.on_probe_stop()
        self.world.now += self.world.drain_s  # in-flight requests take this long to come back

    def verify(self) -> WriteCheck | None:
        if self.name == "http":
            return None
        seqs = frozenset(r.seq for r in self.timeline.requests)
        acked = frozenset(r.seq for r in self.timeline.requests if r.ok)
        present = acked - {min(acked)} if self.world.loses_a_write else acked
        return WriteCheck(self.name, attempted=seqs, acknowledged=acked, present=present)


class World:
    """The fake lab and its clock. Hooks let a test make a revert raise or a signal arrive."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.broken_until = 0.0
        self.outages: list[float] = []  # how long each injection's outage lasts, in turn (else OUTAGE_S)
        self.loses_a_write = False
        self.drain_s = 0.0
        self.running: list[FakeProbe] = []
        self.probes: list[FakeProbe] = []
        self.injected: list[str] = []
        self.reverted: list[str] = []
        self.stopped: list[str] = []
        self.steady_waits = 0
        self.roles = [{"pg_leader": "pg1"}]
        self.on_revert = lambda: None
        self.deadlines: list[list] = []  # [seconds, what, disarmed] per armed deadline
        self.on_probe_stop = lambda: None

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        for _ in range(round(seconds / STEP_S)):
            self.now += STEP_S
            for probe in self.running:
                probe.tick()

    def wait_for_steady_state(self, timeout_s: float, *, on_look) -> float:
        self.steady_waits += 1
        on_look(SimpleNamespace(problems=("app1: not running",)))
        self.wait(1.0)
        on_look(SimpleNamespace(problems=()))
        return 1.0

    def make_probe(self, name, clock, rate, run_id) -> FakeProbe:
        probe = FakeProbe(self, name, clock, rate)
        probe.run_id = run_id
        self.probes.append(probe)
        return probe

    def arm_deadline(self, lab, seconds: float, what: str) -> SimpleNamespace:
        armed = [seconds, what, False, self.now]
        self.deadlines.append(armed)
        return SimpleNamespace(disarm=lambda: armed.__setitem__(2, True))

    def roles_now(self) -> dict:
        return self.roles.pop(0) if len(self.roles) > 1 else self.roles[0]

    def env(self) -> Environment:
        return Environment(
            wait_for_steady_state=self.wait_for_steady_state,
            resolve_target=lambda lab, kind, name: name,
            make_fault=lambda name, lab, service, params: FakeFault(self, name, service),
            make_probe=self.make_probe,
            role_holder=lambda lab, role: None,
            roles_now=self.roles_now,
            arm_deadline=self.arm_deadline,
            clock=self.clock,
            wait=self.wait,
        )


@pytest.fixture
def world() -> World:
    return World()


def game_day(world: World, text: str = GAMEDAY) -> GameDayRunner:
    return GameDayRunner(parse_gameday(text), lab=world, env=world.env())


def test_a_whole_scenario_runs_and_is_judged_on_what_the_probes_recorded(world):
    gd = game_day(world)
    result = gd.run_scenario(gd.gameday.scenarios[0])

    assert (result.verdict, result.reasons) == ("pass", [])
    assert (result.service, result.fault_description) == ("app1", "kill app1")
    assert world.injected == ["app1"] and world.reverted == ["app1", "app1"]  # the revert, then the safety net
    assert world.running == [] and sorted(world.stopped) == ["http", "postgres"]
    # Steady 1 s, probes start, 2 s baseline, inject, 4 s fault, revert, 1 s back to steady, 2 s tail.
    assert (result.window.injected_at, result.window.reverted_at) == (3.0, 7.0)
    assert (result.steady_before_s, result.back_to_steady_s) == (1.0, 1.0)
    assert result.recovery_blockers == {"app1: not running": 0.0}
    assert result.measures.run_end == 10.0
    # The measures are the fake probes' records: 11 refused requests in the 1.5 s outage.
    assert [t.probe for t in result.timelines] == ["http", "postgres"]
    assert result.measures.requests_total == len([r for r in world.probes[0].timeline.requests if r.t_send >= 3.0])
    assert result.measures.requests_failed == OUTAGE_S / STEP_S - 1
    assert 1.4 < result.measures.failover_s < 1.7
    assert result.measures.probes["postgres"].writes.lost == 0


def test_a_fault_carries_a_deadline_from_before_its_baseline_until_its_revert_succeeded(world):
    gd = game_day(world)
    gd.run_scenario(gd.gameday.scenarios[0])
    # Armed when the probes started (t=1, after 1 s of steady state) for the baseline and the
    # fault's duration (the watchdog adds its own grace), disarmed by the revert.
    ((seconds, what, disarmed, armed_at),) = world.deadlines
    assert (seconds, what, disarmed, armed_at - gd.t0) == (2 + 4, "app1-kill: kill app1", True, 1.0)


def test_a_fault_whose_revert_failed_keeps_its_deadline_armed_so_the_watchdog_heals_it(world):
    def fail():
        raise FaultError("could not start app1")

    world.on_revert = fail
    gd = game_day(world)
    gd.run(list(gd.gameday.scenarios))
    assert [d[2] for d in world.deadlines] == [False]


def test_a_control_scenario_fails_when_a_role_moves_while_nothing_was_injected(world):
    gd = game_day(world, """
title: control
defaults: {baseline_s: 1, duration_s: 2, http_rate: 8, probes: [http]}
scenarios:
  - {name: idle, description: nothing, fault: none, budget: {max_failover_s: 1}}
""")
    world.roles = [{"pg_leader": "pg1"}, {"pg_leader": "pg2"}]
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert world.deadlines == []  # nothing injected, nothing to undo
    assert result.verdict == "fail"
    assert result.reasons == ["false failover: pg_leader moved pg1 → pg2 while nothing was injected"]


@pytest.mark.parametrize("error", [FaultError("could not unpause app1: paused for good"), RuntimeError("boom")])
def test_a_revert_that_raises_fails_the_scenario_and_stops_the_game_day(world, error):
    def fail():
        raise error

    world.on_revert = fail
    gd = game_day(world)
    results = gd.run(list(gd.gameday.scenarios))

    assert len(results) == 1 and world.injected == ["app1"]  # app2 never touched: the lab may be broken
    (result,) = results
    assert result.verdict == "fail"
    assert result.reasons[0] == f"reverting the fault failed: {result.revert_error}; run `make heal` to undo it"
    assert "paused for good" in result.revert_error or "boom" in result.revert_error
    assert world.running == [] and sorted(world.stopped) == ["http", "postgres"]  # the probes stopped anyway
    assert world.steady_waits == 1 and result.back_to_steady_s is None  # no waiting for a recovery that cannot come
    assert gd.revert_failed == f"app1-kill (kill app1): {result.revert_error}"

    doc = journal.build(run_id=gd.run_id, title="t", file="f", started=datetime.now(timezone.utc),
                        status="stopped", knobs={}, results=results, revert_error=gd.revert_failed).dump()
    assert doc["revert_failed"] is True and doc["revert_error"] == gd.revert_failed
    assert doc["scenarios"][0]["revert_error"] == result.revert_error


@pytest.mark.parametrize("when, signum", [("revert", signal.SIGINT), ("probe stop", signal.SIGTERM)])
def test_a_signal_during_the_clean_up_is_held_back_then_stops_the_game_day(world, when, signum):
    sent = []

    def hook():
        if not sent:  # once, in the first scenario
            sent.append(signum)
            signal.raise_signal(signum)

    if when == "revert":
        world.on_revert = hook
    else:
        world.on_probe_stop = hook
    gd = game_day(world)
    # What the process had before (default_int_handler from a terminal; SIG_IGN when started in the
    # background by a shell without job control): the runner must put back exactly that.
    before = signal.getsignal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        gd.run(list(gd.gameday.scenarios))

    assert world.injected == ["app1"]  # the next scenario's fault never started
    assert world.running == [] and sorted(world.stopped) == ["http", "postgres"]  # the clean-up still finished
    assert world.reverted == ["app1", "app1"] and sent == [signum]
    assert signal.getsignal(signal.SIGINT) is before


def test_the_run_ends_when_the_probes_are_told_to_stop_not_once_they_drained(world):
    world.drain_s = 5.0  # each probe's in-flight requests take 5 s to come back
    gd = game_day(world)
    result = gd.run_scenario(gd.gameday.scenarios[0])
    stop_requested = [p.stop_requested_at for p in world.probes]
    assert stop_requested == [10.0, 15.0]  # the second probe's stop came after the first drained
    assert result.measures.run_end == 10.0


# -- the command line ------------------------------------------------------------------------------

def run_cli(world: World, tmp_path, monkeypatch):
    from halab.chaos.engine import handle as lab
    from halab.chaos.engine import knobs
    from halab.chaos.views import table as report

    (tmp_path / "gd.yaml").write_text(GAMEDAY)
    monkeypatch.setattr(lab.Lab, "connect", lambda: world)
    monkeypatch.setattr(knobs, "collect_knobs", lambda lab: {})
    monkeypatch.setattr(report, "print_report", lambda journal: None)
    monkeypatch.setattr(runner, "GameDayRunner", lambda gameday, lab: GameDayRunner(gameday, lab, env=world.env()))
    result = CliRunner(mix_stderr=False).invoke(cli.chaos, ["run", "--file", str(tmp_path / "gd.yaml"), "--reports", str(tmp_path)])
    return result, json.loads((tmp_path / "latest" / "journal.json").read_text())


def test_chaos_run_says_a_revert_failed_names_make_heal_and_exits_4(world, tmp_path, monkeypatch):
    def fail():
        raise FaultError("could not unpause app1: paused for good")

    world.on_revert = fail
    result, doc = run_cli(world, tmp_path, monkeypatch)

    assert result.exit_code == cli.EXIT_REVERT_FAILED == 4
    assert "reverting a fault failed: app1-kill (kill app1): could not unpause app1: paused for good" in result.stderr
    assert "make heal" in result.stderr and "every injected fault was reverted" not in result.stderr
    assert (doc["status"], doc["revert_failed"], [s["name"] for s in doc["scenarios"]]) == ("stopped", True, ["app1-kill"])


def test_chaos_run_exits_0_when_every_scenario_passed(world, tmp_path, monkeypatch):
    result, doc = run_cli(world, tmp_path, monkeypatch)
    assert (result.exit_code, result.stderr) == (0, "")
    assert (doc["status"], doc["revert_failed"], doc["summary"]["pass"]) == ("completed", False, 2)
    assert (tmp_path / "latest" / "junit.xml").read_text().count("<testcase ") == 2  # JUnit XML beside the journal


@pytest.mark.parametrize("status, failed, revert_failed, code", [
    ("completed", 0, None, 0),
    ("completed", 2, None, cli.EXIT_FAILED),
    ("crashed", 0, None, cli.EXIT_CRASHED),
    ("aborted", 0, None, cli.EXIT_ABORTED),
    ("stopped", 1, "s (kill x): gone", cli.EXIT_REVERT_FAILED),
    ("aborted", 0, "s (kill x): gone", cli.EXIT_REVERT_FAILED),  # interrupted, but the lab may be broken
])
def test_the_exit_code_says_how_the_game_day_ended(status, failed, revert_failed, code):
    message, exit_code = cli.run_outcome(status, failed, revert_failed=revert_failed, error=RuntimeError("bug"))
    assert exit_code == code
    if revert_failed:
        assert "make heal" in message and "was reverted" not in message


DOUBLE = f"""
title: double faults
defaults: {{duration_s: 4, baseline_s: 2, http_rate: {RATE}, write_rate: {RATE}, probes: [http, postgres]}}
scenarios:
  - name: both-lbs-kill
    description: both load balancers at once
    fault: kill
    target: service:lb1
    also: [{{fault: kill, target: service:lb2}}]
    budget: {{max_lost_writes: {{postgres: 0}}}}
"""


def test_a_double_fault_injects_both_at_once_and_reverts_both_the_last_first(world):
    gd = game_day(world, DOUBLE)
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert result.verdict == "pass", result.reasons
    assert (result.service, result.services, result.fault_description) == ("lb1", ["lb1", "lb2"], "kill lb1 + kill lb2")
    assert world.injected == ["lb1", "lb2"]
    assert world.reverted == ["lb2", "lb1", "lb2", "lb1"]  # the revert, then the safety net
    ((seconds, what, disarmed, _),) = world.deadlines  # one deadline covers both
    assert what == "both-lbs-kill: kill lb1 + kill lb2" and disarmed
    doc = journal.build(run_id=gd.run_id, title="t", file="f", started=datetime.now(timezone.utc),
                        status="completed", knobs={}, results=[result]).dump()
    s = doc["scenarios"][0]
    assert s["services"] == ["lb1", "lb2"] and s["also"] == [{"fault": "kill", "target": "service:lb2", "params": {}}]
    assert s["predicted_failover_s"] is None  # no single mechanism's timers predict two failures


def test_a_double_fault_whose_first_revert_fails_still_reverts_the_other(world):
    reverts = iter([FaultError("lb2 will not start"), None, None, None])

    def sometimes_fail():
        error = next(reverts)
        if error:
            raise error

    world.on_revert = sometimes_fail
    gd = game_day(world, DOUBLE)
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert world.reverted[:2] == ["lb2", "lb1"]  # lb1 reverted although lb2's revert raised
    assert "kill lb2: lb2 will not start" in result.revert_error
    assert gd.revert_failed.startswith("both-lbs-kill (kill lb1 + kill lb2)")


def test_two_targets_that_resolve_to_the_same_service_are_refused_before_anything_is_injected(world):
    gd = game_day(world, DOUBLE.replace("target: service:lb2", "target: lb-backup"))
    env = world.env()
    gd.env = Environment(**{**env.__dict__, "resolve_target": lambda lab, kind, name: "lb1"})
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert world.injected == [] and result.verdict == "fail"
    assert "would hit the same service (lb1, lb1)" in result.reasons[0]


# --- rerun_misses ------------------------------------------------------------------------------

def rerun_game_day(world: World, reruns: int) -> GameDayRunner:
    return game_day(world, GAMEDAY.replace("probes: [http, postgres]}", f"probes: [http, postgres], rerun_misses: {reruns}}}"))


def test_a_scenario_that_only_missed_its_budget_runs_again_and_the_rerun_decides_keeping_the_miss(world):
    world.outages = [4.0, 1.0]  # the first app1 kill hurts 4 s (budget 3), the second 1 s
    results = rerun_game_day(world, 1).run(parse_gameday(GAMEDAY).scenarios)
    assert world.injected == ["app1", "app1", "app2"] and world.reverted.count("app1") >= 2
    # The write probes key rows by run id and count from 1: the rerun writes under its own id.
    ids = [p.run_id for p in world.probes if p.name == "postgres"]
    assert len(set(ids)) == 3 and ids[1] == ids[0] + "-run2"
    first = results[0]
    assert first.verdict == "pass" and len(first.earlier_attempts) == 1
    assert first.earlier_attempts[0].verdict == "fail"
    assert first.earlier_attempts[0].reasons[0].startswith("failover took 4.") and first.earlier_attempts[0].only_over_budget
    document = journal.build(run_id="r", title="t", file="f", started=datetime.now(timezone.utc), status="completed",
                             knobs={}, results=results).dump()
    entry = document["scenarios"][0]
    assert entry["attempt"] == 2 and entry["earlier_attempts"][0]["verdict"] == "fail"
    assert entry["earlier_attempts"][0]["records"]["http"]  # the miss is kept whole, its requests too
    assert document["summary"] == {"pass": 2, "fail": 0, "skipped": 0, "passed_on_rerun": 1}
    assert facts.verdict_label(parse(document).scenarios[0]) == "pass on run 2"
    assert facts.earlier_misses(parse(document).scenarios[0])[0].startswith("run 1 missed its budget: failover took 4.")


def test_without_rerun_misses_a_miss_fails_at_once(world):
    world.outages = [4.0]
    results = game_day(world).run(parse_gameday(GAMEDAY).scenarios)
    assert world.injected == ["app1", "app2"]
    assert results[0].verdict == "fail" and results[0].earlier_attempts == []


def test_a_miss_that_repeats_on_every_rerun_fails(world):
    world.outages = [4.0, 4.0]
    results = rerun_game_day(world, 1).run(parse_gameday(GAMEDAY).scenarios)
    assert world.injected == ["app1", "app1", "app2"]
    assert results[0].verdict == "fail" and len(results[0].earlier_attempts) == 1


def test_a_lost_write_is_never_rerun_even_beside_a_slow_failover(world):
    world.outages, world.loses_a_write = [4.0], True
    results = rerun_game_day(world, 2).run(parse_gameday(GAMEDAY).scenarios[:1])
    assert world.injected == ["app1"]
    assert results[0].verdict == "fail" and not results[0].only_over_budget
    assert "postgres lost 1 acknowledged write, budget 0" in results[0].reasons


def test_each_rerun_is_numbered_in_the_journal(world):
    world.outages = [4.0, 4.0, 1.0]  # rerun_misses 2: runs 1 and 2 miss, run 3 passes
    results = rerun_game_day(world, 2).run(parse_gameday(GAMEDAY).scenarios[:1])
    document = journal.build(run_id="r", title="t", file="f", started=datetime.now(timezone.utc), status="completed",
                             knobs={}, results=results).dump()
    entry = document["scenarios"][0]
    assert [e["attempt"] for e in entry["earlier_attempts"]] == [1, 2] and entry["attempt"] == 3
    assert facts.verdict_label(parse(document).scenarios[0]) == "pass on run 3"
    assert [line.split(":")[0] for line in facts.earlier_misses(parse(document).scenarios[0])] == ["run 1 missed its budget", "run 2 missed its budget"]


def test_a_lab_that_never_recovers_keeps_the_log_tails_of_what_was_still_wrong(world):
    # CI, 2026-11-25: a Patroni member never caught up after its node's freeze, and the journal
    # said only "lag 8726936": its own log would have said why.
    gd = game_day(world)
    waits = iter([1.0])

    def steady_or_not(timeout_s: float, *, on_look) -> float:
        if next(waits, None) is None:  # the steady state before the scenario, then never again
            raise SteadyStateTimeout("steady state", ["Postgres replica pg3 is behind the primary (lag 8726936)",
                                                      "sentinel3 in TILT mode"], timeout_s)
        return 1.0

    asked: list[list[str]] = []
    gd.env = Environment(**{**gd.env.__dict__, "wait_for_steady_state": steady_or_not,
                            "log_tails": lambda services: asked.append(services) or {s: [f"{s} said why"] for s in services}})
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert result.verdict == "fail" and "did not return to steady state" in result.reasons[0]
    assert asked == [["pg3", "sentinel3"]]
    assert result.recovery_logs == {"pg3": ["pg3 said why"], "sentinel3": ["sentinel3 said why"]}
    assert journal.scenario_json(result).recovery_logs == result.recovery_logs


def test_logs_that_cannot_be_read_do_not_change_the_verdict(world):
    gd = game_day(world)
    waits = iter([1.0])

    def steady_or_not(timeout_s: float, *, on_look) -> float:
        if next(waits, None) is None:
            raise SteadyStateTimeout("steady state", ["pg3 is missing"], timeout_s)
        return 1.0

    def unreadable(services):
        raise OSError("node3 does not answer")

    gd.env = Environment(**{**gd.env.__dict__, "wait_for_steady_state": steady_or_not, "log_tails": unreadable})
    result = gd.run_scenario(gd.gameday.scenarios[0])
    assert result.verdict == "fail" and list(result.recovery_logs) == ["(logs)"]
    assert "node3 does not answer" in result.recovery_logs["(logs)"][0]
