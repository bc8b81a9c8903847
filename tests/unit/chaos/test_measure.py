import json

import pytest

from halab.chaos.engine import measure
from halab.chaos.engine.budget import Budget
from halab.chaos.engine.records import FaultWindow, ProbeTimeline, Request, WriteCheck

RATE = 50  # requests per second, like the real probes
INTERVAL = 1 / RATE
RUN_END = 30.0


def timeline(probe, changes, *, until=RUN_END, latency=0.005, check=None):
    """A probe sending RATE requests/s from t=0 to `until`. `changes` is [(t, ok), ...]: from t
    on, every request succeeds (ok=True) or is refused (ok=False); before the first change
    everything succeeds."""
    requests = []
    for index in range(int(until * RATE)):
        t_send = index / RATE  # exact for whole and half seconds: no drift from summing 0.02
        ok = True
        for changed_at, state in changes:
            if t_send >= changed_at:
                ok = state
        requests.append(Request(probe=probe, t_send=t_send, latency=latency, outcome="ok" if ok else "refused"))
    return ProbeTimeline(probe=probe, requests=requests, check=check)


def request(t_send, latency, ok=True, probe="http"):
    return Request(probe=probe, t_send=t_send, latency=latency, outcome="ok" if ok else "timeout")


INJECT_AT_10 = FaultWindow(injected_at=10.0, reverted_at=None)


def probe_measures(changes, window=INJECT_AT_10, **kwargs):
    return measure.measure_probe(timeline("http", changes), window, run_end=RUN_END, **kwargs)


# --- failover ----------------------------------------------------------------------------------


def test_no_failures_means_zero_failover():
    measures = probe_measures([])
    assert measures.failover_s == 0.0
    assert measures.time_to_first_error_s is None
    assert measures.requests_failed == 0
    assert measures.failure_pct == 0
    assert measures.requests_total == 20 * RATE
    assert measures.baseline_total == 10 * RATE


def test_outage_from_injection_until_recovery():
    measures = probe_measures([(10.0, False), (12.5, True)])
    assert measures.failover_s == pytest.approx(2.5, abs=INTERVAL)
    assert measures.recovered_at == pytest.approx(12.5, abs=INTERVAL)
    assert measures.time_to_first_error_s == pytest.approx(0.0, abs=INTERVAL)
    assert measures.requests_failed == 125
    assert measures.failure_pct == pytest.approx(100 * 125 / 1000)
    assert measures.outcomes["refused"] == 125
    assert measures.outcomes["ok"] == 875
    assert measures.outcomes["timeout"] == 0
    assert (measures.baseline_total, measures.baseline_failed) == (500, 0)


def test_failures_before_injection_are_baseline_only():
    measures = probe_measures([(5.0, False), (5.5, True)])
    assert (measures.baseline_total, measures.baseline_failed) == (500, 25)
    assert measures.requests_failed == 0
    assert measures.failover_s == 0.0


def test_flapping_only_counts_a_full_stable_second():
    # fails, comes back for half a second, fails again, then stays up
    measures = probe_measures([(10.0, False), (11.0, True), (11.5, False), (12.0, True)])
    assert measures.failover_s == pytest.approx(2.0, abs=INTERVAL)


def test_stable_period_is_configurable():
    # Half a second of success counts as stable with stable_s=0.5, but a failure after it
    # still moves the recovery past that failure: every later request must be good.
    measures = probe_measures([(10.0, False), (10.5, True), (11.5, False), (12.0, True)], stable_s=0.5)
    assert measures.failover_s == pytest.approx(2.0, abs=INTERVAL)
    assert probe_measures([(10.0, False), (10.5, True)], stable_s=0.5).failover_s == pytest.approx(0.5, abs=INTERVAL)


def test_a_stable_second_followed_by_failures_until_the_end_is_no_recovery():
    # ok for exactly one second (11.0 .. 11.98), then failing to the end: the service is down
    # when the run ends, whatever came before.
    measures = probe_measures([(10.0, False), (11.0, True), (12.0, False)])
    assert measures.failover_s is None and measures.never_recovered


def test_never_recovers():
    measures = probe_measures([(10.0, False)])
    assert measures.failover_s is None
    assert measures.recovered_at is None
    assert measures.never_recovered


def test_recovery_right_at_the_end_of_the_run_is_not_a_recovery():
    measures = probe_measures([(10.0, False), (29.5, True)])
    assert measures.failover_s is None


def test_recovery_with_just_over_a_second_left_counts():
    measures = probe_measures([(10.0, False), (28.9, True)])
    assert measures.failover_s == pytest.approx(18.9, abs=INTERVAL)


def test_never_recovering_fails_the_verdict_readably():
    scenario = measure.measure_scenario([timeline("http", [(10.0, False)])], INJECT_AT_10)
    assert scenario.failover_s is None
    verdict = measure.judge(scenario, Budget(max_failover_s=10))
    assert not verdict.passed
    assert verdict.reasons == ["http never recovered before the run ended"]


# --- return disruption -------------------------------------------------------------------------

REVERT_AT_20 = FaultWindow(injected_at=10.0, reverted_at=20.0)
OUTAGE_THEN_RETURN_BLIP = [(10.0, False), (12.0, True), (20.5, False), (21.5, True)]


def test_return_disruption_is_measured_separately():
    measures = probe_measures(OUTAGE_THEN_RETURN_BLIP, REVERT_AT_20)
    assert measures.failover_s == pytest.approx(2.0, abs=INTERVAL)
    returned = measures.return_disruption
    assert returned.failed == 50
    assert returned.time_to_first_error_s == pytest.approx(0.5, abs=INTERVAL)
    assert returned.duration_s == pytest.approx(1.0, abs=INTERVAL)
    assert returned.recovered_at == pytest.approx(21.5, abs=INTERVAL)
    assert measures.requests_failed == 150  # the window holds both disruptions


def test_no_return_disruption_without_revert():
    assert probe_measures([(10.0, False), (12.0, True)]).return_disruption is None


def test_quiet_return():
    returned = probe_measures([(10.0, False), (12.0, True)], REVERT_AT_20).return_disruption
    assert (returned.failed, returned.time_to_first_error_s, returned.duration_s) == (0, None, 0.0)


def test_outage_lasting_past_the_revert_is_all_primary_failover():
    measures = probe_measures([(10.0, False), (22.0, True)], REVERT_AT_20)
    assert measures.failover_s == pytest.approx(12.0, abs=INTERVAL)
    assert measures.return_disruption.failed == 0


def test_failures_only_after_the_revert_are_return_disruption():
    measures = probe_measures([(20.2, False), (23.0, True)], REVERT_AT_20)
    assert measures.failover_s == 0.0
    assert measures.return_disruption.failed == 140
    assert measures.return_disruption.duration_s == pytest.approx(2.8, abs=INTERVAL)


def test_never_recovering_from_the_return():
    measures = probe_measures([(10.0, False), (12.0, True), (25.0, False)], REVERT_AT_20)
    assert measures.failover_s == pytest.approx(2.0, abs=INTERVAL)
    assert measures.return_disruption.never_recovered
    scenario = measure.measure_scenario([timeline("http", [(10.0, False), (12.0, True), (25.0, False)])], REVERT_AT_20)
    assert scenario.return_disruption.duration_s is None
    verdict = measure.judge(scenario, Budget(counts_return_disruption=False))
    assert verdict.reasons == ["http never recovered from the return of the failed node before the run ended"]


def test_return_disruption_counts_against_the_failed_requests_budget():
    scenario = measure.measure_scenario([timeline("http", OUTAGE_THEN_RETURN_BLIP)], REVERT_AT_20)
    assert (scenario.requests_failed, scenario.return_disruption.failed) == (150, 50)
    verdict = measure.judge(scenario, Budget(max_failover_s=10, max_failed_requests=120))
    assert verdict.reasons == ["150 requests failed, budget 120", "the return of the failed node caused 50 failed requests"]
    # when the return disruption is expected, only the 100 primary failures count
    assert measure.judge(scenario, Budget(max_failover_s=10, max_failed_requests=120, counts_return_disruption=False)).passed


def test_return_disruption_counts_against_the_failover_budget():
    scenario = measure.measure_scenario([timeline("http", [(10.0, False), (12.0, True), (20.0, False), (25.0, True)])], REVERT_AT_20)
    assert scenario.failover_s == pytest.approx(2.0, abs=INTERVAL)
    verdict = measure.judge(scenario, Budget(max_failover_s=3))
    assert verdict.reasons == ["the return of the failed node disrupted service for 5 s, budget 3 s"]
    assert measure.judge(scenario, Budget(max_failover_s=3, counts_return_disruption=False)).passed


# --- latency -----------------------------------------------------------------------------------


def test_nearest_rank_percentiles():
    summary = measure.latency_summary([request(float(i), latency=i / 1000) for i in range(1, 101)])
    assert (summary.count, summary.p50_ms, summary.p95_ms, summary.p99_ms) == (100, pytest.approx(50), pytest.approx(95), pytest.approx(99))


def test_latency_before_and_during_the_fault():
    requests = (
        [request(t / 10, latency=0.004) for t in range(0, 100)]  # before: 4 ms
        + [request(10 + t / 10, latency=0.250, ok=t % 2 == 0) for t in range(0, 100)]  # during: 250 ms, failures included
        + [request(20 + t / 10, latency=0.900) for t in range(0, 100)]  # after the revert: not "during"
    )
    measures = measure.measure_probe(ProbeTimeline("http", requests), REVERT_AT_20, run_end=RUN_END)
    assert measures.latency_before.count == 100
    assert measures.latency_before.p99_ms == pytest.approx(4)
    assert measures.latency_during.count == 100
    assert (measures.latency_during.p50_ms, measures.latency_during.p99_ms) == (pytest.approx(250), pytest.approx(250))


def test_latency_during_runs_to_the_end_without_revert():
    requests = [request(5.0, 0.001), request(12.0, 0.1), request(25.0, 0.3)]
    measures = measure.measure_probe(ProbeTimeline("http", requests), INJECT_AT_10, run_end=RUN_END)
    assert measures.latency_during.count == 2
    assert measures.latency_during.p99_ms == pytest.approx(300)


# --- writes ------------------------------------------------------------------------------------

CHECK = WriteCheck(
    store="postgres",
    attempted=frozenset(range(1, 11)),
    acknowledged=frozenset(range(1, 9)),
    present=frozenset({1, 2, 3, 4, 5, 6, 9, 42}),  # 7, 8 lost; 9 recovered; 42 unexpected
    duplicates=2,
)


def test_write_classification_counts_and_fractions():
    writes = measure.write_summary(CHECK)
    assert (writes.attempted, writes.acknowledged, writes.unknown, writes.duplicates) == (10, 8, 2, 2)
    assert (writes.ok, writes.lost, writes.unexpected, writes.recovered) == (6, 2, 1, 1)
    assert (writes.ok_fraction, writes.lost_fraction, writes.unexpected_fraction, writes.recovered_fraction) == (
        pytest.approx(0.6),
        pytest.approx(0.2),
        pytest.approx(0.1),
        pytest.approx(0.1),
    )
    assert (writes.lost_seqs, writes.unexpected_seqs) == ((7, 8), (42,))
    assert writes.read_error is None


def test_only_the_first_lost_seqs_are_listed():
    check = WriteCheck("kafka", attempted=frozenset(range(100)), acknowledged=frozenset(range(100)), present=frozenset(range(50, 100)))
    writes = measure.write_summary(check)
    assert writes.lost == 50
    assert writes.lost_seqs == tuple(range(20))


def test_no_attempted_writes_gives_zero_fractions():
    writes = measure.write_summary(WriteCheck("redis", frozenset(), frozenset(), frozenset()))
    assert (writes.ok_fraction, writes.lost_fraction, writes.unexpected_fraction, writes.recovered_fraction) == (0.0, 0.0, 0.0, 0.0)


def test_lost_writes_break_the_budget_per_store():
    scenario = measure.measure_scenario([timeline("http", []), timeline("postgres", [], check=CHECK)], INJECT_AT_10)
    assert scenario.failed_writes_acknowledged_lost == {"postgres": 2}
    verdict = measure.judge(scenario, Budget(max_lost_writes={"postgres": 0, "redis": 0}))
    assert verdict.reasons == ["postgres lost 2 acknowledged writes, budget 0"]
    assert measure.judge(scenario, Budget(max_lost_writes={"postgres": 2})).passed
    assert measure.judge(scenario, Budget()).passed  # missing store = no limit


def test_a_read_error_fails_the_verdict():
    check = WriteCheck("redis", frozenset({1, 2}), frozenset({1, 2}), frozenset(), read_error="connection refused")
    scenario = measure.measure_scenario([timeline("redis", [], check=check)], INJECT_AT_10)
    writes = scenario.probes["redis"].writes
    assert (writes.lost, writes.ok, writes.lost_fraction) == (None, None, None)  # unknown, not "all lost"
    assert scenario.failed_writes_acknowledged_lost == {}
    verdict = measure.judge(scenario, Budget(max_lost_writes={"redis": 0}))
    assert verdict.reasons == ["could not read back redis: connection refused"]


# --- empty and scenario-level ------------------------------------------------------------------


def test_empty_timeline_gives_zeros_and_nones():
    measures = measure.measure_probe(ProbeTimeline("kafka"), REVERT_AT_20, run_end=RUN_END)
    assert (measures.requests_total, measures.requests_failed, measures.failure_pct) == (0, 0, 0)
    assert (measures.baseline_total, measures.baseline_failed) == (0, 0)
    assert measures.time_to_first_error_s is None
    assert measures.failover_s == 0.0
    assert measures.latency_before == measure.LatencySummary(0, None, None, None)
    assert measures.latency_during == measure.LatencySummary(0, None, None, None)
    assert measures.return_disruption.failed == 0
    assert measures.writes is None
    json.dumps(measures.to_json())


def test_scenario_with_nothing_recorded():
    scenario = measure.measure_scenario([ProbeTimeline("kafka")], REVERT_AT_20)
    assert (scenario.requests_total, scenario.requests_failed, scenario.failover_s) == (0, 0, 0.0)
    assert measure.judge(scenario, Budget(max_failover_s=10)).reasons == ["kafka recorded no requests after the fault was injected"]
    assert measure.measure_scenario([], INJECT_AT_10).failover_s == 0.0


def test_scenario_takes_the_worst_probe_and_http_request_counts():
    scenario = measure.measure_scenario(
        [timeline("http", [(10.0, False), (11.0, True)]), timeline("redis", [(10.0, False), (14.0, True)])], INJECT_AT_10
    )
    assert scenario.failover_s == pytest.approx(4.0, abs=INTERVAL)
    assert (scenario.requests_total, scenario.requests_failed) == (1000, 50)
    assert scenario.run_end == pytest.approx(RUN_END - INTERVAL + 0.005)  # last request's completion


def test_scenario_failover_is_none_when_any_probe_never_recovered():
    scenario = measure.measure_scenario([timeline("http", []), timeline("redis", [(10.0, False)])], INJECT_AT_10)
    assert scenario.failover_s is None


def test_one_timeline_per_probe():
    with pytest.raises(ValueError):
        measure.measure_scenario([ProbeTimeline("http"), ProbeTimeline("http")], INJECT_AT_10)


# --- judge -------------------------------------------------------------------------------------


def test_judge_passes_within_every_budget():
    scenario = measure.measure_scenario(
        [timeline("http", [(10.0, False), (12.0, True)]), timeline("postgres", [], check=CHECK)], INJECT_AT_10
    )
    verdict = measure.judge(scenario, Budget(max_failover_s=10, max_failed_requests=100, max_lost_writes={"postgres": 2}))
    assert verdict == measure.Verdict(passed=True, reasons=[])


def test_judge_lists_every_broken_budget():
    scenario = measure.measure_scenario(
        [timeline("http", [(10.0, False), (22.4, True)]), timeline("postgres", [], check=CHECK)],
        FaultWindow(injected_at=10.0, reverted_at=25.0),
    )
    verdict = measure.judge(scenario, Budget(max_failover_s=10, max_failed_requests=0, max_lost_writes={"postgres": 1}))
    assert not verdict.passed
    assert verdict.reasons == [
        "failover took 12.4 s, budget 10 s",
        "620 requests failed, budget 0",
        "postgres lost 2 acknowledged writes, budget 1",
    ]


def test_only_numbers_over_budget_may_be_rerun_never_a_lost_write():
    def scenario(present):
        check = WriteCheck("postgres", attempted=frozenset({1, 2}), acknowledged=frozenset({1, 2}), present=frozenset(present))
        return measure.measure_scenario([timeline("http", [(10.0, False), (22.4, True)]), timeline("postgres", [], check=check)],
                                        FaultWindow(injected_at=10.0, reverted_at=25.0))

    budget = Budget(max_failover_s=10, max_failed_requests=0, max_lost_writes={"postgres": 0})
    slow = measure.judge(scenario({1, 2}), budget)
    assert slow.reasons == ["failover took 12.4 s, budget 10 s", "620 requests failed, budget 0"]
    assert slow.only_over_budget
    slow_and_lossy = measure.judge(scenario({1}), budget)
    assert slow_and_lossy.reasons[-1] == "postgres lost 1 acknowledged write, budget 0"
    assert not slow_and_lossy.only_over_budget
    never = measure.measure_scenario([timeline("http", [(10.0, False)])], FaultWindow(injected_at=10.0, reverted_at=25.0))
    stuck = measure.judge(never, Budget(max_failover_s=10))
    assert stuck.reasons == ["http never recovered before the run ended"] and not stuck.only_over_budget
    assert not measure.judge(scenario({1, 2}), Budget()).only_over_budget  # passed: nothing to rerun


def test_a_budget_judges_only_the_limits_it_sets():
    scenario = measure.measure_scenario([timeline("http", [(10.0, False), (12.0, True)])], INJECT_AT_10)
    # Recovery is the first good *completion*: sent at 12.0, answered 5 ms later. The failed
    # requests are counted, but no limit on them was set.
    assert measure.judge(scenario, Budget(max_failover_s=1.0)).reasons == ["failover took 2.01 s, budget 1 s"]
    assert measure.judge(scenario, Budget(max_failed_requests=0)).reasons[0].endswith("failed, budget 0")


def test_reason_wording_uses_singular_for_one():
    scenario = measure.measure_scenario(
        [
            ProbeTimeline("http", [request(10.0, 0.01, ok=False)] + [request(10.0 + i / 50, 0.01) for i in range(1, 100)]),
            timeline("postgres", [], check=WriteCheck("postgres", frozenset({1}), frozenset({1}), frozenset())),
        ],
        INJECT_AT_10,
    )
    verdict = measure.judge(scenario, Budget(max_failed_requests=0, max_lost_writes={"postgres": 0}))
    assert verdict.reasons == ["1 request failed, budget 0", "postgres lost 1 acknowledged write, budget 0"]


@pytest.mark.parametrize(("seconds", "text"), [(12.4, "12.4"), (10.0, "10"), (10.04, "10.04"), (2.5000001, "2.5")])
def test_format_seconds(seconds, text):
    assert measure.format_seconds(seconds) == text


# --- JSON ------------------------------------------------------------------------------------


def test_to_json_is_json_ready_and_rounded():
    scenario = measure.measure_scenario(
        [timeline("http", OUTAGE_THEN_RETURN_BLIP, latency=0.0123456), timeline("postgres", [], check=CHECK)], REVERT_AT_20
    )
    document = scenario.to_json()
    assert json.loads(json.dumps(document)) == document  # only JSON types: no sets, tuples or dataclasses
    http = document["probes"]["http"]
    assert http["latency_before"]["p50_ms"] == 12.346
    assert http["failover_s"] == 2.012  # the first good completion: sent at 12.0, 12.3 ms
    assert http["new_requests_ok_s"] == 2.0
    assert http["latency_bound_s"] == 1.5 and http["latency_bound_rule"] == "5 × baseline p99 12 ms, within [1.5 s, 3 s]"
    assert http["return_disruption"]["failed"] == 50
    assert document["probes"]["postgres"]["writes"]["lost_seqs"] == [7, 8]
    assert document["failed_writes_acknowledged_lost"] == {"postgres": 2}
    assert document["return_disruption"] == {"failed": 50, "duration_s": 1.012}  # from the first failure to a good completion
    assert measure.judge(scenario, Budget()).to_json() == {"passed": True, "reasons": [], "only_over_budget": False}


def test_median_table_takes_the_median_per_scenario():
    from halab.chaos.journal.schema import parse
    from halab.chaos.views.table import median, medians_table

    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0]) == 1.5
    assert median([None]) is None

    def journal(run_id, failover):
        return parse({"run_id": run_id, "scenarios": [{"name": "pg-leader-kill", "fault": "kill", "failover_s": failover,
                                                       "requests_failed": 10, "writes": {"postgres": {"lost": 0}},
                                                       "back_to_steady_s": 12.0, "verdict": "pass"}]})

    table = medians_table([journal("a", 7.0), journal("b", 9.0), journal("c", 8.0)])
    assert [c._cells for c in table.columns][1] == ["8.0"]


def test_longest_stall_finds_the_gap_a_retrying_client_hides():
    from halab.chaos.engine.measure import longest_stall
    from halab.chaos.engine.records import Request

    # Sent every 0.5 s from t=10; the one sent at 11.0 took 4.9 s (retried inside the client),
    # and the ones after it queued behind it.
    reqs = [Request("kafka", 10.0, 0.05, "ok"), Request("kafka", 10.5, 0.05, "ok"), Request("kafka", 11.0, 4.9, "ok"),
            Request("kafka", 11.5, 4.4, "ok"), Request("kafka", 16.0, 0.05, "ok")]
    assert abs(longest_stall(reqs, 10.0, 20.0) - (15.9 - 10.55)) < 1e-9
    assert longest_stall([], 10.0, 20.0) is None
    assert longest_stall([Request("kafka", 10.0, 0.1, "timeout")], 10.0, 20.0) == 10.0


def test_budget_can_name_whose_failover_it_limits():
    from types import SimpleNamespace

    from halab.chaos.engine.measure import judge, judged_failover, measure_scenario
    from halab.chaos.engine.records import FaultWindow, ProbeTimeline, Request

    def timeline(name, outage_until):
        reqs = [Request(name, 10 + i * 0.1, 0.01, "ok" if 10 + i * 0.1 >= outage_until else "timeout") for i in range(200)]
        return ProbeTimeline(name, reqs)

    m = measure_scenario([timeline("postgres", 16.0), timeline("http", 18.5)], FaultWindow(10.0, 20.0), run_end=30.0)
    assert round(judged_failover(m, ("postgres",)), 1) == 6.0
    assert round(judged_failover(m), 1) == 8.5
    budget = SimpleNamespace(max_failover_s=7, failover_of=("postgres",), max_failed_requests=None, max_lost_writes={},
                             counts_return_disruption=True)
    assert judge(m, budget).passed
    worst = SimpleNamespace(**{**vars(budget), "failover_of": None})
    assert judge(m, worst).reasons == ["failover took 8.51 s, budget 7 s"]
    strict = SimpleNamespace(**{**vars(budget), "max_failover_s": 5})
    assert judge(m, strict).reasons == ["failover took 6.01 s for postgres, budget 5 s"]
