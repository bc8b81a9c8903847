"""Predicted failover from the knobs in force: each mechanism's formula on the lab's tuned and
stock knobs (as `halab.chaos.engine.knobs` reads them back into the journal), by hand."""

from __future__ import annotations

import pytest

from halab.chaos.engine import predict
from halab.chaos.engine.probes import http as http_probe


def knobs(profile: str) -> dict:
    """A journal's knobs section under the lab's two profiles."""
    tuned = profile == "tuned"
    return {
        "profile": {"name": profile, "knobs": {
            "HALAB_HAPROXY_APP_CHECK": "inter 1s fastinter 500ms downinter 1s fall 2 rise 2" if tuned else "inter 2s fall 3 rise 2",
            "HALAB_HAPROXY_PG_CHECK": "inter 1s fastinter 500ms downinter 300ms fall 2 rise 1" if tuned else "inter 2s fall 3 rise 2",
        }},
        "keepalived": {"version": "3" if tuned else "2", "advert_int": "0.25" if tuned else "1", "interval": "1", "fall": "1",
                       "rise": "2", "priority": {"lb1": "150", "lb2": "100"}},
        "haproxy": {"timeout check": "800ms" if tuned else "2s", "timeout connect": ["1s", "200ms", "200ms"],  # defaults, then the two Postgres listeners
                    "retry-on": ["conn-failure empty-response 502", "conn-failure"] if tuned else ["none", "none"]},
        "patroni": {"ttl": 5 if tuned else 30, "loop_wait": 1 if tuned else 10, "retry_timeout": 2 if tuned else 10,
                    "primary_start_timeout": 0 if tuned else 300},
        "sentinel": {"down-after-milliseconds": "1000" if tuned else "30000", "quorum": "2"},
        "kafka": {"broker.session.timeout.ms": "3000" if tuned else "9000", "broker.heartbeat.interval.ms": "750" if tuned else "2000",
                  "controller.quorum.fetch.timeout.ms": "2000", "controller.quorum.election.timeout.ms": "1000"},
    }


def scenario(fault: str, target: str | None, **params) -> dict:
    return {"fault": fault, "target": target, "params": params}


def predicted(s: dict, knobs: dict) -> predict.Prediction | None:
    return predict.predict(s["fault"], s["target"], knobs, process=s["params"].get("process"))


def rng(p: predict.Prediction) -> tuple[float, float, float]:
    return round(p.min, 2), round(p.expected, 2), round(p.max, 2)


@pytest.mark.parametrize("profile, expected", [
    # master-down = 3 × advert + (256 − priority)/256 × advert, for either node as the backup;
    # expected adds half the client's 1 s connect timeout, max a whole one and an advert.
    ("tuned", (0.85, 1.38, 2.15)),
    ("stock", (3.41, 4.01, 5.61)),
])
def test_vrrp_master_down_interval_plus_a_lost_syn(profile, expected):
    assert http_probe.CONNECT_TIMEOUT_S == 1.0
    p = predicted(scenario("kill", "vip-holder"), knobs(profile))
    assert rng(p) == expected
    assert "3 × advert_int" in p.formula and "priorities 100, 150" in p.formula


@pytest.mark.parametrize("profile, expected", [
    ("tuned", (6.1, 7.55, 9.55)),  # ttl 5, loop_wait 1, the 2 s old-leader check, rise 1 × downinter 0.3 s, the probe's ≤ 0.25 s reconnect
    ("stock", (22.1, 34.4, 47.25)),  # ttl 30, loop_wait 10, the same 2 s check, rise 2 × inter 2 s
])
def test_patroni_leader_key_expiry_loop_promotion_and_haproxy(profile, expected):
    for fault in ("kill", "pause", "partition"):
        p = predicted(scenario(fault, "pg-leader"), knobs(profile))
        assert rng(p) == expected and "Patroni's fixed 2 s timeout" in p.formula


def test_a_crashed_postgres_fails_over_at_once_only_with_primary_start_timeout_0():
    tuned = predicted(scenario("kill-process", "pg-leader", process="postgres"), knobs("tuned"))
    stock = predicted(scenario("kill-process", "pg-leader", process="postgres"), knobs("stock"))
    assert rng(tuned) == (0.1, 1.55, 3.55) and "primary_start_timeout = 0" in tuned.formula
    assert stock.max == 310 and "restarts Postgres in place" in stock.formula


@pytest.mark.parametrize("profile, expected", [("tuned", (1.2, 3.5, 6.0)), ("stock", (30.2, 32.5, 35.0))])
def test_sentinel_down_after_agreement_election_promotion_and_the_clients_discovery(profile, expected):
    assert rng(predicted(scenario("kill", "redis-master"), knobs(profile))) == expected


@pytest.mark.parametrize("profile, broker, controller", [
    # request timeout 2 s, metadata refreshed every 1 s: through at 4 s after a fencing at 2.25-3 s
    # and a refresh 0-1 s later. A dead controller: fenced 5.5-7.7 s after the kill (fetch 2 +
    # election 0-1 + activation 0.5-1.7 + session 3), known 0-1 s later, through at 6-10 s
    ("tuned", (4.0, 4.0, 6.5), (6.0, 8.0, 12.5)),
    ("stock", (8.0, 10.0, 12.5), (12.0, 14.0, 18.5)),
])
def test_kafka_fencing_by_session_timeout_and_the_quorums_timeouts_for_a_dead_controller(profile, broker, controller):
    assert rng(predicted(scenario("kill", "kafka-partition-leader"), knobs(profile))) == broker
    assert rng(predicted(scenario("kill", "kafka-controller"), knobs(profile))) == controller


@pytest.mark.parametrize("fenced, through", [(0.5, 2.0), (2.0, 2.0), (2.25, 4.0), (3.0, 4.0), (4.01, 6.0), (8.0, 8.0)])
def test_a_producer_gets_past_a_dead_broker_at_the_first_request_timeout_after_the_fencing(fenced, through):
    assert predict.through_the_dead_broker(fenced, 2.0) == through


def test_haproxy_marks_a_dead_replica_down_and_retries_hide_it_when_they_are_on():
    tuned = predicted(scenario("kill", "app"), knobs("tuned"))
    stock = predicted(scenario("kill", "service:app2"), knobs("stock"))
    assert rng(tuned) == (0.0, 1.0, 4.1) and "replayed on another replica" in tuned.formula  # 1 + 0.5 + 2 × 0.8, + 1 s connect
    assert rng(stock) == (0.0, 6.0, 13.0) and "fail" in stock.formula  # 2 + 2 × 2 + 3 × 2 = 12 s to mark down


def test_keepalived_gives_the_vip_up_when_its_track_script_fails():
    p = predicted(scenario("kill-process", "vip-holder", process="haproxy"), knobs("tuned"))
    assert rng(p) == (0.1, 0.63, 1.4)  # fall 1 × interval 1 s, then the backup's skew


def test_no_failover_where_no_client_depends_on_the_member_alone_and_none_for_degrading_faults():
    for target in ("etcd", "sentinel", "lb-backup", "pg-replica", "redis-replica"):
        assert rng(predicted(scenario("kill", target), knobs("tuned"))) == (0, 0, 0)
    assert rng(predicted(scenario("none", None), knobs("tuned"))) == (0, 0, 0)
    assert predicted(scenario("delay", "pg-leader", ms=200), knobs("tuned")) is None


def test_a_missing_knob_means_no_prediction_not_a_wrong_one():
    assert predicted(scenario("kill", "pg-leader"), {"patroni": {}}) is None
    assert predicted(scenario("kill", "redis-master"), {}) is None


def test_a_measure_outside_the_range_is_flagged_with_a_likely_reason():
    p = predicted(scenario("kill", "kafka-controller"), knobs("tuned"))
    assert predict.compare(7.0, p) == "within" and predict.explain(7.0, p) is None
    assert predict.explain(13.4, p).startswith("13.40 s is above the predicted 6.00-12.50 s: likely more rounds of the producer")
    assert "below" in predict.explain(1.0, p)
    assert predict.compare(None, p) is None and predict.compare(3.0, None) is None


def test_the_broker_formula_names_one_number_when_every_fencing_lands_in_the_same_round():
    tuned = predicted(scenario("kill", "kafka-partition-leader"), knobs("tuned")).formula
    stock = predicted(scenario("kill", "kafka-partition-leader"), knobs("stock")).formula
    assert "after the refresh (4 s)" in tuned and "after the refresh (8-10 s)" in stock


def test_a_slower_metadata_refresh_holds_the_producer_on_the_dead_broker_a_round_longer(monkeypatch):
    # With kafka-python's refresh every 5 s the probe's writes to the dead leader's partitions
    # resumed at ~7.3 s where the Java producer was through at 4-5 s (docs/witness.md).
    monkeypatch.setattr(predict.kafka_probe, "METADATA_MAX_AGE_MS", 5000)
    assert rng(predicted(scenario("kill", "kafka-partition-leader"), knobs("tuned"))) == (4.0, 6.0, 10.5)
