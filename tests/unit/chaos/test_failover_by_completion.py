"""Failover as a client experiences it, on synthetic timelines with realistic latencies: each
case is one that the old send-time measure got wrong (it counted a request as recovered the
moment it was sent, however long it then took)."""

from __future__ import annotations

import pytest

from halab.chaos.engine import measure
from halab.chaos.engine.records import FaultWindow, ProbeTimeline, Request

WINDOW = FaultWindow(injected_at=10.0, reverted_at=20.0)
RUN_END = 30.0


def schedule(rate: float, until: float = RUN_END):
    """Send times of an open-loop probe at `rate` per second from t=0."""
    return [i / rate for i in range(int(until * rate))]


def probe(name: str, rate: float, answer, *, until: float = RUN_END) -> ProbeTimeline:
    """`answer(t_send)` -> (outcome, latency) for each scheduled request; None = not recorded."""
    requests = []
    for t in schedule(rate, until):
        answered = answer(t)
        if answered is not None:
            outcome, latency = answered
            requests.append(Request(name, t, latency, outcome))
    return ProbeTimeline(name, requests, rate=rate)


def measured(timeline: ProbeTimeline, window: FaultWindow = WINDOW):
    return measure.measure_probe(timeline, window, run_end=RUN_END)


def test_a_producer_that_retries_inside_its_timeout_hides_a_5_s_stall_no_longer():
    # Kafka: the leader dies at 10; every send until 15 is retried inside the client and
    # acknowledged at 15.2 (no failure at all); afterwards 8 ms again.
    def answer(t):
        if 10.0 <= t < 15.0:
            return "ok", 15.2 - t
        return "ok", 0.008

    m = measured(probe("kafka", 20, answer))
    assert m.requests_failed == 0  # the old measure saw nothing: failover 0
    assert m.failover_s == pytest.approx(5.2, abs=0.06)  # the last late acknowledgement, at 15.2
    assert m.requests_slow == 74  # those sent before 13.7 took longer than the 1.5 s bound
    # No success completed from 10 until 15.008 (the first send after the outage, answered in
    # 8 ms): the stall, which the failover now covers instead of contradicting it.
    assert m.longest_stall_s == pytest.approx(5.008)
    assert m.failover_s >= m.longest_stall_s


def test_a_pool_that_answers_2_s_late_after_the_primary_is_back():
    # Postgres: refused from 10 to 16; the first writes after 16 wait 2 s for the pool to
    # reconnect (answered at 18.0), then 15 ms.
    def answer(t):
        if 10.0 <= t < 16.0:
            return "error", 0.01
        if 16.0 <= t < 18.0:
            return "ok", 18.0 - t
        return "ok", 0.015

    m = measured(probe("postgres", 20, answer))
    assert m.new_requests_ok_s == pytest.approx(6.5, abs=0.06)  # sent from 16.5 on: within the 1.5 s bound
    assert m.failover_s == pytest.approx(8.0, abs=0.06)  # answered at 18.0, not "sent at 16"
    assert m.failover_s > 6.5  # what the old send-time measure reported, give or take


def test_a_vip_move_where_connects_hang_for_a_syn_retransmit():
    # HTTP: requests sent in the first 0.44 s are reset; those sent 0.44-0.97 s after the kill
    # reach the VIP while nobody holds it, get no SYN-ACK and time out after the probe's 1 s
    # connect timeout (TCP would retransmit the SYN just then); from 0.98 s on the new holder
    # answers at once.
    def answer(t):
        if 10.0 <= t < 10.44:
            return "reset", 0.002
        if 10.44 <= t < 10.98:
            return "timeout", 1.0
        return "ok", 0.02

    m = measured(probe("http", 50, answer))
    assert m.new_requests_ok_s == pytest.approx(0.98, abs=0.03)
    assert m.failover_s == pytest.approx(1.98, abs=0.03)  # the last hung request gives up at ~11.98


def test_a_probe_that_falls_silent_is_not_healthy():
    # Failures from 10 to 11, then nothing is recorded until 14 (a hung client), then success.
    def answer(t):
        if 10.0 <= t < 11.0:
            return "timeout", 0.5
        if 11.0 <= t < 14.0:
            return None
        return "ok", 0.01

    m = measured(probe("redis", 20, answer))
    assert m.failover_s == pytest.approx(4.0, abs=0.06)


def test_a_stable_second_needs_enough_samples():
    # After the outage only every fifth request is recorded for 3 s: 4 a second, under the half
    # of 20/s that a stable second needs.
    def answer(t):
        if 10.0 <= t < 11.0:
            return "error", 0.01
        if 11.0 <= t < 14.0:
            return ("ok", 0.01) if round(t * 20) % 5 == 0 else None
        return "ok", 0.01

    # The first second holding 10 good answers starts at 13.51 (13.75, then 14.0-14.45).
    assert measured(probe("redis", 20, answer)).failover_s == pytest.approx(3.51, abs=0.01)


def test_a_request_in_flight_at_the_injection_that_fails_later_counts():
    # Sent at 9.95 (before the fault), it hangs and times out at 13.95; everything sent after the
    # injection is fine. A client saw an error 3.95 s into the fault.
    def answer(t):
        if 9.94 < t < 9.96:
            return "timeout", 4.0
        return "ok", 0.01

    m = measured(probe("postgres", 20, answer))
    assert m.failover_s == pytest.approx(3.96, abs=0.06)
    assert m.new_requests_ok_s == 0.0  # requests sent after the injection never suffered


def test_the_latency_bound_comes_from_the_baseline_and_is_named():
    bound = measure.LatencyBound.from_baseline(probe("http", 50, lambda t: ("ok", 0.4)).requests)
    assert bound.seconds == pytest.approx(2.0)
    assert bound.rule == "5 × baseline p99 400 ms, within [1.5 s, 3 s]"
    # A busy machine's tail does not count; a slow baseline cannot hide seconds of retries.
    assert measure.LatencyBound.from_baseline(probe("http", 50, lambda t: ("ok", 0.01)).requests).seconds == 1.5
    assert measure.LatencyBound.from_baseline(probe("http", 50, lambda t: ("ok", 0.9)).requests).seconds == 3.0
    assert measure.LatencyBound.from_baseline([]).seconds == 1.5


def test_slow_successes_during_the_fault_count_against_failover_but_not_as_failed():
    def answer(t):
        return ("ok", 2.0) if 10.0 <= t < 12.0 else ("ok", 0.01)

    m = measured(probe("http", 50, answer))
    assert (m.requests_failed, m.requests_slow) == (0, 100)
    assert m.failover_s == pytest.approx(4.0, abs=0.03)


def test_an_idle_lab_measures_zero():
    m = measured(probe("http", 50, lambda t: ("ok", 0.01)))
    assert (m.failover_s, m.new_requests_ok_s, m.requests_slow) == (0.0, 0.0, 0)


def test_a_budget_judges_the_return_of_the_probes_it_names_only():
    from types import SimpleNamespace

    # HTTP limps for seconds after the revert (a restarted JVM hogging the CPU); Kafka, the probe
    # the budget is about, recovers cleanly.
    http = probe("http", 50, lambda t: ("ok", 2.0) if 21.0 <= t < 25.0 and int(t * 10) % 10 == 0 else ("ok", 0.01))
    kafka = probe("kafka", 20, lambda t: ("error", 0.01) if 10.0 <= t < 13.0 else ("ok", 0.01))
    scenario = measure.measure_scenario([http, kafka], WINDOW, run_end=RUN_END)
    budget = SimpleNamespace(max_failover_s=4, failover_of=("kafka",), max_failed_requests=None, max_lost_writes={},
                             counts_return_disruption=True)
    assert measure.judge(scenario, budget).passed
    assert scenario.return_disruption.duration_s > 4  # still measured and in the journal
    everyone = SimpleNamespace(**{**vars(budget), "failover_of": None})
    assert any("return of the failed node" in r for r in measure.judge(scenario, everyone).reasons)
