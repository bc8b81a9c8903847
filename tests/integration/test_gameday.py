"""The default game day against the real lab: every scenario within the budgets its game-day
file sets (so users who edit the file set their own N), and no fault left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import warnings
from pathlib import Path

import docker
import pytest

from halab.chaos.analysis.crosscheck import TOLERANCE_FRACTION, TOLERANCE_S, compare, parse_witness
from halab.chaos.gameday import load_gameday
from halab.chaos.journal import facts
from halab.chaos.journal.schema import parse

from .conftest import ROOT, TIME_FACTOR, eventually, lab_status, run
from .test_report_browser import CHROMEDRIVER, CHROMIUM, check_report_in_browser

pytestmark = pytest.mark.integration

GAMEDAY = load_gameday(ROOT / "gamedays" / "default.yaml")
LATEST = ROOT / "reports" / "latest" / "journal.json"


@pytest.fixture(scope="module")
def journal(lab) -> dict:
    """One game day as a CI job runs it: examples/ci/gameday.sh (make doctor, make up, make chaos
    with JUNIT, the artifacts kept), the lab left up for the tests after it."""
    before = LATEST.resolve() if LATEST.exists() else None
    for artifact in ARTIFACTS.glob("*"):
        artifact.unlink()
    job = subprocess.run(["bash", "examples/ci/gameday.sh"], cwd=ROOT, check=False,
                         env={**os.environ, "KEEP_LAB": "1", "ARTIFACTS": str(ARTIFACTS.relative_to(ROOT))})
    # The game day's own exit code: 0 every budget held, 1 one broke (judged per scenario below).
    assert job.returncode in (0, 1), f"the CI example failed before judging the game day (exit {job.returncode})"
    assert LATEST.exists() and LATEST.resolve() != before, "the game day wrote no new journal"
    RUN_DIRS.append(LATEST.resolve().parent)  # later tests run game days of their own
    return json.loads(LATEST.read_text())


RUN_DIRS: list[Path] = []
ARTIFACTS = ROOT / "reports" / "ci"
JUNIT = ARTIFACTS / "junit.xml"


def test_the_ci_example_keeps_journal_report_and_junit_of_the_run_it_made(journal):
    assert json.loads((ARTIFACTS / "journal.json").read_text())["run_id"] == journal["run_id"]
    assert (ARTIFACTS / "report.html").stat().st_size > 10_000
    assert f'value="{journal["run_id"]}"' in JUNIT.read_text()


def test_make_chaos_junit_lists_every_scenario_as_a_test_case_failed_as_the_journal_says(journal):
    import xml.etree.ElementTree as ET

    suite = ET.parse(JUNIT).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [s["name"] for s in journal["scenarios"]]
    for s in journal["scenarios"]:
        outcome = [child.tag for child in cases[s["name"]] if child.tag in ("failure", "error", "skipped")]
        if s["verdict"] == "fail":
            assert outcome in (["failure"], ["error"]), s["name"]
            assert cases[s["name"]][0].get("message") == s["reasons"][0]
        else:
            assert outcome == {"pass": [], "skipped": ["skipped"]}[s["verdict"]], s["name"]


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER.exists()), reason="needs Chromium and chromedriver")
def test_the_game_days_report_opens_in_a_browser_and_shows_its_numbers(journal):
    """The report `make chaos` left beside its journal, opened offline in headless Chromium: every
    scenario's charts drawn, no console error, the journal's numbers on the page. The screenshot
    is kept as reports/<run-id>/report.png for a person to look at."""
    run_dir = RUN_DIRS[0]
    page = run_dir / "report.html"
    assert page.exists(), f"make chaos left no report.html in {run_dir}"
    check_report_in_browser(page, json.loads((run_dir / "journal.json").read_text()), run_dir / "report.png")


# The Patroni failover: seconds long, so the witness's shell loops (a few attempts a second)
# resolve it well, and psql is the plainest outside client there is.
CROSSCHECKED = "pg-leader-kill"


def crosschecked_run() -> tuple:
    """One `make chaos WITNESS=1` of the cross-checked scenario: its comparison row and the run.
    Through bin/lab, the script behind make, so that the controller's exit code survives (make
    turns every failure into 2, and a budget broken under the witness's load must be told from
    a crash)."""
    before = LATEST.resolve()
    proc = run("bin/lab", "chaos", check=False, env={"SCENARIO": CROSSCHECKED, "WITNESS": "1"})
    assert LATEST.resolve() != before, f"no new journal:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    checked = json.loads(LATEST.read_text())
    witness = LATEST.parent / "witness.log"
    assert witness.exists(), "make chaos WITNESS=1 kept no witness.log beside the journal"
    (row,) = compare(parse(checked), parse_witness(witness.read_text()))
    assert row.scenario == CROSSCHECKED and row.witness_attempts >= 10
    assert row.journal_s is not None and row.journal_s > 1, row  # a real failover was measured
    return row, proc


def test_an_outside_client_saw_the_same_failover(journal):
    """`make chaos WITNESS=1` for one scenario: psql, curl and redis-cli loops and Kafka's
    VerifiableProducer run beside it in their own containers, and the journal's failover must
    match what they saw.

    A disagreement gets one more run, as the game day reruns a missed budget (`rerun_misses`),
    and is named in the warnings summary, never hidden: on 2 cores under CI's load one psql
    attempt can hang past the witness's 4 s while the probe's pooled writes answer in 1 s
    (docs/witness.md). Two disagreements in a row fail."""
    row, proc = crosschecked_run()
    if not row.agree:
        first, (row, proc) = row, crosschecked_run()
        assert row.agree, (f"twice: journal {first.journal_s} then {row.journal_s} s, witness {first.witness_s} then "
                           f"{row.witness_s} s for {', '.join(row.probes)} (allowed: {TOLERANCE_S} s or {TOLERANCE_FRACTION:.0%})")
        warnings.warn(f"{CROSSCHECKED}: journal and witness agreed only on the second run; the first: journal "
                      f"{first.journal_s} s, witness {first.witness_s} s", stacklevel=1)
    # 1 = a budget broken (the cross-check agreed, asserted above). The budgets are judged by the
    # game day above, without the witness; this run carries the witness's extra load (a process
    # and a connection per attempt, docs/witness.md), and on 2 cores that load alone moved
    # pg-leader-kill from 7.6 s to 11-12 s here while the witness agreed. Anything else (3, 4,
    # a crash) fails.
    assert proc.returncode in (0, 1), proc.stdout[-3000:]


def test_journal_has_the_run_metadata(journal):
    assert journal["status"] == "completed"
    assert journal["machine"]["cpus"] and journal["knobs"]["patroni"]["ttl"]
    assert [s["name"] for s in journal["scenarios"]] == GAMEDAY.scenario_names()


@pytest.mark.parametrize("scenario", GAMEDAY.scenarios, ids=lambda s: s.name)
def test_scenario_within_its_budget(journal, scenario):
    result = next(s for s in journal["scenarios"] if s["name"] == scenario.name)
    budget = scenario.budget
    misses = facts.earlier_misses(parse(journal).scenario(scenario.name))
    assert result["verdict"] == "pass", f"{scenario.name}: {result['reasons']} (earlier runs: {misses or 'none'})"
    if misses:  # passed on a rerun (rerun_misses): shown in the warnings summary, never hidden
        warnings.warn(f"{scenario.name} passed only on run {result['attempt']}: {' | '.join(misses)}", stacklevel=1)
    if budget.max_failover_s is not None:
        assert result["failover_s"] is not None and result["failover_s"] <= budget.max_failover_s
    if budget.max_failed_requests is not None:
        assert result["requests_failed"] <= budget.max_failed_requests
    for store, limit in budget.max_lost_writes.items():
        assert result["writes"][store]["lost"] <= limit, f"{store}: {result['writes'][store]}"
    # The probes really ran through the fault.
    assert result["requests_total"] > 0
    assert all(w["attempted"] > 0 for w in result["writes"].values())


def lab_containers() -> dict:
    client = docker.from_env()
    return {c.labels["com.docker.compose.service"]: c
            for c in client.containers.list(all=True, filters={"label": "com.docker.compose.project=halab"})}


def test_heal_undoes_faults_a_dead_controller_left_behind(journal):
    from halab.chaos.engine.faults import FAULTS
    from halab.chaos.engine.handle import Lab

    lab = Lab.connect()
    FAULTS["pause"](lab, "app1").inject()
    FAULTS["partition"](lab, "redis3").inject()
    FAULTS["kill"](lab, "sentinel2").inject()
    blackhole = FAULTS["partition"](lab, "app2", {"from_services": ["app3"]})
    blackhole.inject()

    healed = run("make", "-s", "heal", check=False)
    assert healed.returncode == 0, healed.stderr
    for expected in ("unpaused app1", "reconnected redis3", "started sentinel2", "blackhole routes in app2"):
        assert expected in healed.stdout, healed.stdout

    cts = lab_containers()
    assert cts["app1"].status == "running" and cts["sentinel2"].status == "running"
    assert "halab_lab" in cts["redis3"].attrs["NetworkSettings"]["Networks"]
    assert lab.in_netns("app2", ["ip", "route", "show", "type", "blackhole"])[1] == ""
    again = run("make", "-s", "heal", check=False)
    assert "nothing to heal" in again.stdout
    eventually("the lab back in steady state after heal", lambda: lab_status()["healthy"], timeout=90)


def test_ctrl_c_reverts_the_active_fault(journal):
    # Its own process group, so SIGINT reaches every process as a terminal's Ctrl-C would.
    # SIGINT as a terminal leaves it: a shell that started the tests in the background without job
    # control ignores it, and bash cannot trap a signal ignored on entry.
    proc = subprocess.Popen(["bin/lab", "chaos"], cwd=ROOT, env={**os.environ, "SCENARIO": "pg-leader-pause"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        paused = eventually("a pg container paused by the running scenario",
                            lambda: [n for n, c in lab_containers().items() if c.status == "paused"], timeout=120)
        assert paused and paused[0].startswith("pg")
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=120 * TIME_FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "interrupted: every injected fault was reverted" in out, out[-2000:]
    assert not [n for n, c in lab_containers().items() if c.status == "paused"]
    eventually("the lab back in steady state after the interrupted scenario", lambda: lab_status()["healthy"], timeout=90)


def test_chaos_validate_reports_a_bad_file_without_a_traceback():
    bad = Path("tests/unit/chaos/fixtures/unknown_fault.yaml")
    proc = run("make", "-s", "chaos-validate", f"FILE={bad}", check=False)
    assert proc.returncode != 0
    assert "unknown fault 'kil'" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_heal_clears_a_netem_rule(journal):
    from halab.chaos.engine.faults import FAULTS, FaultUnavailable
    from halab.chaos.engine.handle import Lab

    lab = Lab.connect()
    delay = FAULTS["delay"](lab, "app3", {"delay_ms": 100})
    try:
        delay.check_available()
    except FaultUnavailable as e:
        # Some kernels (this project's CI machines among them) ship without sch_netem.
        pytest.skip(str(e))
    delay.inject()
    healed = run("make", "-s", "heal", check=False)
    assert "removed netem rule in app3" in healed.stdout, healed.stdout
    assert "netem" not in lab.in_netns("app3", ["tc", "qdisc", "show", "dev", "eth0"])[1]
