"""Availability maths on topologies small enough to check by hand, and from a recorded journal."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from halab.chaos.analysis import availability as av
from halab.chaos.journal.schema import parse

FIXTURE = Path(__file__).parent / "fixtures" / "report_journal.json"


def test_k_of_n_by_hand():
    u = 0.1
    assert av.at_least(1, 1, u) == pytest.approx(0.9)  # one member: a single point of failure
    assert av.at_least(1, 2, u) == pytest.approx(1 - 0.1 ** 2)  # active-passive: down only when both are
    # A majority of 3: all three up, or exactly two: 0.9^3 + 3 * 0.9^2 * 0.1
    assert av.at_least(2, 3, u) == pytest.approx(0.729 + 0.243)
    assert av.at_least(3, 3, u) == pytest.approx(0.729)  # needs every member: worse than one alone
    assert av.at_least(0, 3, u) == pytest.approx(1.0)


def test_nines():
    assert av.nines(0.999) == pytest.approx(3)
    assert av.nines(0.99995) == pytest.approx(4.30103)
    assert av.nines(1.0) == math.inf


def test_member_unavailability_from_failure_rate_and_repair_time():
    a = av.Assumptions(failures_per_year=4, repair_hours=1)
    mtbf_h = 365.25 * 24 / 4
    assert a.member_unavailability == pytest.approx(1 / (mtbf_h + 1))


def test_a_tier_pays_for_each_handover_its_measured_failover():
    a = av.Assumptions(failures_per_year=4, repair_hours=1)
    edge = next(t for t in av.TIERS if t.name == "edge")
    row = av.tier_availability(edge, {"vip-holder-kill": 2.0}, a)
    assert row["failovers_per_year"] == 4 and row["failover_downtime_s_per_year"] == pytest.approx(8.0)
    u = a.member_unavailability
    assert row["availability"] == pytest.approx(1 - u ** 2 - 8.0 / av.YEAR_S)


def test_a_failover_that_never_ended_costs_the_repair_time_not_nothing():
    a = av.Assumptions(failures_per_year=4, repair_hours=2)
    kafka = next(t for t in av.TIERS if t.name == "kafka")
    # Two brokers lead partitions only; the third is also the controller, a longer failover.
    row = av.tier_availability(kafka, {"kafka-leader-kill": 8.0, "kafka-controller-kill": math.inf}, a)
    assert row["failover_downtime_s_per_year"] == pytest.approx(2 * 4 * 8.0 + 1 * 4 * 2 * 3600)


def test_a_failover_not_measured_is_named_not_counted_as_nothing():
    kafka = next(t for t in av.TIERS if t.name == "kafka")
    row = av.tier_availability(kafka, {"kafka-leader-kill": 8.0, "kafka-controller-kill": None}, av.Assumptions())
    assert row["unmeasured"] == ["kafka-controller-kill"]


def test_the_service_is_every_tier_in_series_and_redundancy_beats_one_of_each():
    journal = json.loads(FIXTURE.read_text())
    result = av.compute(parse(journal), av.Assumptions())
    assert result["service"]["availability"] == pytest.approx(math.prod(t["availability"] for t in result["tiers"]))
    assert result["service"]["nines"] > result["one_of_each"]["nines"] + 2
    by_tier = {t["tier"]: t for t in result["tiers"]}
    assert by_tier["postgres"]["failovers"][0]["failover_s"] == 9.141  # pg-leader-kill's, from the journal
    # The fixture has no app, etcd, redis or Kafka controller scenario: named, not silently perfect.
    assert set(result["unmeasured"]) == {"app (app-replica-kill)", "etcd (etcd-member-kill)",
                                         "redis (redis-master-kill)", "kafka (kafka-controller-kill)"}


def test_error_budget_and_what_the_game_day_cost():
    journal = json.loads(FIXTURE.read_text())
    result = av.compute(parse(journal), av.Assumptions(slo_pct=99.9, window_days=30))
    assert result["slo"]["budget_s"] == pytest.approx(0.001 * 30 * 86400)  # 43.2 min
    http = [s["measures"]["probes"]["http"] for s in journal["scenarios"]]
    g = result["gameday"]
    assert g["http_failover_s"] == pytest.approx(sum(p["failover_s"] for p in http))
    assert g["budget_used"] == pytest.approx(g["http_failover_s"] / result["slo"]["budget_s"])
    assert g["http_failed"] == sum(p["requests_failed"] for p in http)
    assert g["burn_rate"] == pytest.approx(g["failed_fraction"] / 0.001)


def test_rto_and_rpo_per_store_and_an_inconclusive_read_back_is_not_zero():
    journal = json.loads(FIXTURE.read_text())
    stores = av.compute(parse(journal))["stores"]
    pg = journal["scenarios"][1]
    assert stores["postgres"]["rto_s"] == pg["measures"]["probes"]["postgres"]["failover_s"]
    assert stores["postgres"]["rpo_lost_writes"] == 0
    assert not stores["redis"]["measured"]
    journal["scenarios"][0]["writes"]["kafka"]["lost"] = None
    assert av.compute(parse(journal))["stores"]["kafka"]["rpo_lost_writes"] is None


def test_a_miss_that_a_rerun_followed_still_counts_the_less_flattering_figures():
    journal = json.loads(FIXTURE.read_text())
    before = av.compute(parse(journal))
    pg = journal["scenarios"][1]
    miss = copy.deepcopy(pg)
    miss["measures"]["probes"]["postgres"]["failover_s"] = 30.0
    miss["failover_s"] = 30.0
    miss["measures"]["probes"]["http"]["failover_s"] += 5.0
    pg["earlier_attempts"] = [miss]
    after = av.compute(parse(journal))
    assert after["stores"]["postgres"]["rto_s"] == 30.0  # the worst run, not the rerun that passed
    assert after["gameday"]["http_failover_s"] == pytest.approx(
        before["gameday"]["http_failover_s"] + miss["measures"]["probes"]["http"]["failover_s"])  # clients lived both


@pytest.mark.parametrize("kwargs, message", [
    ({"failures_per_year": 0}, "failures per year must be above 0"),
    ({"repair_hours": -1}, "repair hours must be above 0"),
    ({"slo_pct": 100}, "between 0 and 100"),
    ({"window_days": 0}, "above 0 days"),
])
def test_assumptions_that_make_no_sense_are_refused_saying_why(kwargs, message):
    with pytest.raises(ValueError, match=message):
        av.Assumptions(**kwargs)
