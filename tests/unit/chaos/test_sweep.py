"""The SPOF sweep's tables, from a journal: single failures per service and probe, the double
ones with whether the lab came back by itself, and the single points of failure named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from halab.chaos.analysis import sweep
from halab.chaos.gameday import load_gameday
from halab.chaos.journal.schema import parse

ROOT = Path(__file__).parents[3]
FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "report_journal.json").read_text())


def scenario(name: str, services: list[str], *, verdict: str = "pass", back: float | None = 20.0,
             http_failover: float | None = 1.0, lost_pg: int | None = 0) -> dict:
    s = copy.deepcopy(FIXTURE["scenarios"][0])
    s.update(name=name, service=services[0], services=services, verdict=verdict, back_to_steady_s=back,
             reasons=[] if verdict == "pass" else ["failover took 9 s, budget 6 s"])
    s["measures"]["probes"]["http"]["failover_s"] = http_failover
    s["writes"]["postgres"]["lost"] = lost_pg
    return s


def test_singles_and_doubles_and_the_single_points_of_failure_named():
    journal = {"run_id": "r", "scenarios": [
        scenario("kill-lb1", ["lb1"]),
        scenario("kill-pg2", ["pg2"], verdict="fail"),
        scenario("kill-app1", ["app1"], http_failover=None),  # never recovered: a SPOF even within no budget
        scenario("both-lbs-kill", ["lb1", "lb2"], back=None, lost_pg=None),
        scenario("pg-leader-and-sync-kill", ["pg1", "pg3"]),
    ]}
    summary = sweep.summarise(parse(journal))
    assert [r["services"] for r in summary["singles"]] == [["lb1"], ["pg2"], ["app1"]]
    assert [r["group"] for r in summary["singles"]] == ["edge", "postgres", "app"]
    assert summary["single_points_of_failure"] == ["app1"]
    assert summary["over_budget"] == [{"service": "pg2", "reasons": ["failover took 9 s, budget 6 s"]}]
    assert [(r["scenario"], r["recovered_by_itself"]) for r in summary["doubles"]] == [
        ("both-lbs-kill", False), ("pg-leader-and-sync-kill", True)]
    pg = summary["doubles"][0]["probes"]["postgres"]
    assert pg["lost"] is None and pg["inconclusive"]  # a failed read-back is not 0 lost
    assert "lb2" in summary["services_missing"] and "lb1" not in summary["services_missing"]
    lines = sweep.verdict_lines(summary)
    assert lines[0] == "single points of failure (clients never recovered while it was down): app1"
    assert lines[1] == "over its tier's budget: pg2 (failover took 9 s, budget 6 s)"
    assert lines[-1].startswith("did not come back by itself after the revert: both-lbs-kill")
    assert sweep._cell(summary["singles"][2]["probes"]["http"]).startswith("never s")
    assert sweep._cell(pg).endswith("lost ?")


def test_the_sweep_game_day_kills_every_service_alone_then_five_pairs():
    gameday = load_gameday(ROOT / "gamedays" / "spof-sweep.yaml")
    singles = [s for s in gameday.scenarios if not s.also]
    doubles = [s for s in gameday.scenarios if s.also]
    from halab.lab import topology
    assert sorted(s.target.name for s in singles) == sorted(topology.ALL_SERVICES)
    assert all(s.fault == "kill" and s.target.kind == "service" and s.budget.max_failover_s for s in singles)
    assert [len(s.faults) for s in doubles] == [2] * 5
    assert all(s.budget.max_failover_s is None for s in doubles)  # expected to hurt: not judged on failover

def test_a_service_within_budget_only_on_a_rerun_is_named_with_its_miss():
    rerun = scenario("kill-redis3", ["redis3"])
    rerun["attempt"], rerun["earlier_attempts"] = 2, [scenario("kill-redis3", ["redis3"], verdict="fail") | {"attempt": 1}]
    summary = sweep.summarise(parse({"run_id": "r", "scenarios": [scenario("kill-lb1", ["lb1"]), rerun]}))
    assert summary["over_budget"] == [] and summary["singles"][1]["verdict_label"] == "pass on run 2"
    assert sweep.verdict_lines(summary)[:2] == [
        "within budget only on a rerun: redis3 (run 1 missed its budget: failover took 9 s, budget 6 s)",
        "no single point of failure: each of the 2 services failed alone within its tier's budget"]
