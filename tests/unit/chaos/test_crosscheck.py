"""The witness's output read beside a journal (synthetic, with realistic latencies)."""

import json

import pytest

from halab.chaos.analysis import crosscheck
from halab.chaos.analysis.crosscheck import Attempt, Comparison, over_runs, parse_witness, witness_failover
from halab.chaos.journal.schema import parse

T0 = 1_795_000_000.0  # the run's t=0 on the wall clock


def compare(journal: dict, attempts: dict) -> list[Comparison]:
    """crosscheck.compare on a journal written with only what it reads; the rest a journal must
    have (its run id, each scenario's fault and verdict, each probe's name) is filled in."""
    scenarios = []
    for s in journal["scenarios"]:
        s = {"fault": "kill", "verdict": "pass", **s}
        if s.get("measures"):
            m = s["measures"]
            s["measures"] = {"run_end": 30.0, **m, "probes": {n: {"probe": n, **p} for n, p in m["probes"].items()}}
        scenarios.append(s)
    return crosscheck.compare(parse({"run_id": "r", **journal, "scenarios": scenarios}), attempts)


def loop(client, start, end, answer, pause=0.1):
    """A shell loop from `start` to `end`: answer(t) -> (ok, seconds the attempt took)."""
    lines, t = [], start
    while t < end:
        ok, took = answer(t)
        lines.append(f"{client} {t:.6f} {t + took:.6f} {'ok' if ok else 'fail'} detail with spaces")
        t += took + pause
    return lines


def open_loop(client, start, end, rate, answer):
    """The witness as it runs now: an attempt every 1/rate s whatever the others are doing."""
    lines, n = [], 0
    while (t := start + n / rate) < end:
        ok, took = answer(t)
        lines.append(f"{client} {t:.6f} {t + took:.6f} {'ok' if ok else 'fail'} -")
        n += 1
    return lines


def producer(start, end, rate, answer, header=True):
    """Kafka's VerifiableProducer as kafka-witness-producer runs it: the rate header, then one
    JSON line per answer, stamped (ms) when the answer arrived. answer(t) -> (ok, seconds)."""
    lines = [f"verifiable-producer rate={rate} request_timeout_ms=2000"] if header else []
    lines.append(json.dumps({"timestamp": int(start * 1000), "name": "startup_complete"}))
    events, i = [], 0
    while (t := start + i / rate) < end:
        ok, took = answer(t)
        name = "producer_send_success" if ok else "producer_send_error"
        events.append((t + took, {"timestamp": int((t + took) * 1000), "name": name, "key": str(i % 6), "value": str(i),
                                  "topic": "halab-probe", **({"partition": i % 3, "offset": i} if ok else
                                                             {"exception": "class TimeoutException", "message": "expired"})}))
        i += 1
    return lines + [json.dumps(e) for _, e in sorted(events, key=lambda te: te[0])]  # printed as answers arrive


def test_parse_skips_stray_output_and_maps_clients_to_probes():
    text = "\n".join(["psql 1.0 1.1 ok -", "% some kcat chatter", "curl 2.0 x ok -", "redis-cli 3.0 3.2 fail no_master",
                      "kcat 4.0 4.5 maybe -", '{"timestamp": 5000, "name": "producer_send_success", "value": "0"}'])
    assert parse_witness(text) == {"postgres": [Attempt("psql", 1.0, 1.1, True)], "redis": [Attempt("redis-cli", 3.0, 3.2, False)]}


def test_the_verifiable_producer_s_messages_start_on_its_schedule_and_end_when_answered():
    lines = producer(T0, T0 + 1, 20, lambda t: (t < T0 + 0.5, 0.03 if t < T0 + 0.5 else 4.0))
    attempts = parse_witness("\n".join(["Picked up JAVA_TOOL_OPTIONS: -Xmx128m", *lines]))["kafka"]
    assert len(attempts) == 20 and all(a.client == "verifiable-producer" for a in attempts)
    first, last = attempts[0], attempts[-1]
    assert (first.start, first.ok) == (pytest.approx(T0), True) and first.end == pytest.approx(T0 + 0.03, abs=0.001)
    assert (last.start, last.end, last.ok) == (pytest.approx(T0 + 0.95), pytest.approx(T0 + 4.95, abs=0.001), False)


def test_a_restarted_producer_counts_its_messages_from_its_own_start():
    before = producer(T0, T0 + 1, 20, lambda t: (True, 0.02))
    after = producer(T0 + 100, T0 + 101, 10, lambda t: (True, 0.02))
    attempts = parse_witness("\n".join(before + after))["kafka"]
    assert len(attempts) == 30 and attempts[-1].start == pytest.approx(T0 + 100.9)
    # Lines without the header (an older witness.log, or a cut log) are not guessed at.
    assert "kafka" not in parse_witness("\n".join(producer(T0, T0 + 1, 20, lambda t: (True, 0.02), header=False)))


def kafka_leader_kill(t, inject=T0 + 10):
    """A Kafka leader kill as the producers meet it: sends in the first 2.2 s wait for the new
    leader and are answered together 2.5-2.6 s after the kill; then 20-40 ms again."""
    at = t - inject
    return (True, 2.55 - at) if 0 <= at < 2.2 else (True, 0.03)


def judged_by(scenario, probe, *, failover_s, bound_s):
    """A journal of one scenario (injected at 10 s, reverted at 20 s) whose budget judges `probe`."""
    return {"clock": {"t0_unix": T0}, "scenarios": [
        {"name": scenario, "budget": {"failover_of": [probe]},
         "measures": {"injected_at": 10.0, "reverted_at": 20.0,
                      "probes": {probe: {"failover_s": failover_s, "latency_bound_s": bound_s}}}}]}


def test_a_stall_inside_the_give_up_is_a_failure_to_a_producer_judged_by_the_bound():
    journal = judged_by("kafka-leader-kill", "kafka", failover_s=2.45, bound_s=1.5)
    (row,) = compare(journal, parse_witness("\n".join(producer(T0, T0 + 30, 20, kafka_leader_kill))))
    # The last send slower than 1.5 s went at 1.05 s and was answered at 2.55 s; the next answer
    # within the bound arrives just after.
    assert row.witness_s == pytest.approx(2.55, abs=0.06) and row.agree
    # Judged by its give-up alone, as kcat was, the same answers show no failover at all.
    unbounded = {**journal, "scenarios": [{**journal["scenarios"][0], "measures": {
        **journal["scenarios"][0]["measures"], "probes": {"kafka": {"failover_s": 2.45, "latency_bound_s": None}}}}]}
    (blind,) = compare(unbounded, parse_witness("\n".join(producer(T0, T0 + 30, 20, kafka_leader_kill))))
    assert blind.witness_s == 0.0 and not blind.agree


def test_the_bound_does_not_judge_clients_that_connect_per_attempt():
    # curl pays for a new process and connection per attempt: 1.8 s at rest on a loaded machine
    # is the machine, not the store, and stays a success to it.
    journal = judged_by("haproxy-process-kill", "http", failover_s=0.0, bound_s=1.5)
    (row,) = compare(journal, parse_witness("\n".join(loop("curl", T0, T0 + 30, lambda t: (True, 1.8)))))
    assert row.witness_s == 0.0


def postgres_process_kill(t, inject=T0 + 10):
    """pg-postgres-process-kill as a psql session meets it: the write sent 0.3 s after the kill
    waits for the restarted primary, which answers at 3.3 s; then writes take 3 ms again."""
    at = t - inject
    return (True, 3.3 - at) if 0.3 <= at < 3.3 else (True, 0.003)


def test_a_stall_a_psql_session_rides_out_is_a_failure_judged_by_the_bound():
    journal = judged_by("pg-postgres-process-kill", "postgres", failover_s=3.27, bound_s=1.5)
    # One session writes one INSERT at a time: the write under way at the kill hangs for 3 s and
    # then succeeds. The next one, 0.1 s later, takes 3 ms.
    (row,) = compare(journal, parse_witness("\n".join(loop("psql", T0, T0 + 30, postgres_process_kill))))
    assert row.witness_s == pytest.approx(3.4, abs=0.05) and row.agree
    # The same answers from a client judged by its give-up only (curl's way) show no failover.
    assert witness_failover(parse_witness("\n".join(loop("curl", T0, T0 + 30, postgres_process_kill)))["http"],
                            T0 + 10, T0 + 20) == 0.0


def test_psql_refused_for_six_seconds_then_served():
    inject = T0 + 10
    lines = loop("psql", T0, T0 + 30, lambda t: (False, 0.02) if inject <= t < inject + 6.3 else (True, 0.03))
    attempts = parse_witness("\n".join(lines))["postgres"]
    assert witness_failover(attempts, inject, inject + 10) == pytest.approx(6.35, abs=0.15)


def test_a_slow_success_is_a_success_to_the_witness():
    inject = T0 + 10
    # Refused for 0.45 s; then one attempt hangs 1.02 s on a SYN retransmit and succeeds.
    lines = loop("curl", T0, T0 + 20, lambda t: (False, 0.01) if inject <= t < inject + 0.45
                 else (True, 1.02) if inject + 0.45 <= t < inject + 0.6 else (True, 0.01))
    seen = witness_failover(parse_witness("\n".join(lines))["http"], inject, inject + 10)
    assert 1.4 < seen < 1.7  # the end of the hung attempt: the first success after the last failure


def test_a_vip_move_seen_by_an_open_loop_witness_agrees_with_the_journal():
    # vip-holder-kill as CI saw it: refused until 1.08 s, connects sent 1.10-1.17 s hang until
    # their 1 s connect timeout, the VIP answers from 1.17 s; the journal said 2.21 s.
    inject = T0 + 10
    def answer(t):
        at = t - inject
        if 0 <= at < 1.09:
            return False, 0.01
        if 1.09 <= at < 1.17:
            return False, 1.0
        return True, 0.05
    journal = {"clock": {"t0_unix": T0}, "scenarios": [
        {"name": "vip-holder-kill", "budget": {"failover_of": ["http"]},
         "measures": {"injected_at": 10.0, "reverted_at": 21.0, "probes": {"http": {"failover_s": 2.21}}}}]}
    (row,) = compare(journal, parse_witness("\n".join(open_loop("curl", T0, T0 + 30, 20, answer))))
    assert row.witness_s == pytest.approx(2.2, abs=0.1) and row.agree
    # The shell loops it replaced (two, 0.1 s apart) can step over the 70 ms of hanging connects.
    missed = loop("curl", T0 + 0.03, T0 + 30, lambda t: (True, 0.05) if t - inject >= 1.17 or t < inject
                  else answer(t), pause=0.1)
    (old,) = compare(journal, parse_witness("\n".join(missed)))
    assert old.witness_s < 1.5 and not old.agree


def test_a_failure_on_the_clients_own_timeout_counts_until_it_ends():
    inject = T0 + 10
    # A frozen primary: the attempt under way hangs until psql's 5 s timeout, then it works again.
    lines = loop("psql", T0, T0 + 20, lambda t: (False, 5.0) if inject - 0.05 <= t < inject + 0.05 else (True, 0.02))
    assert witness_failover(parse_witness("\n".join(lines))["postgres"], inject, inject + 10) == pytest.approx(5.07, abs=0.1)


def test_nothing_bad_is_zero_and_never_served_again_is_none():
    fine = [Attempt("psql", T0 + t / 10, T0 + t / 10 + 0.05, True) for t in range(300)]
    assert witness_failover(fine, T0 + 10, T0 + 20) == 0.0
    down = [Attempt("psql", T0 + t / 10, T0 + t / 10 + 0.05, t < 100) for t in range(300)]
    assert witness_failover(down, T0 + 10, T0 + 20) is None


@pytest.mark.parametrize("journal_s, witness_s, agree", [
    (6.5, 6.9, True),    # within 0.5 s
    (2.0, 2.6, False),   # 0.6 s apart, and 15 % of 2.6 s is only 0.39 s
    (9.0, 10.2, True),   # 1.2 s apart, within 15 % of 10.2
    (0.0, 0.4, True),
    (None, None, True),
    (None, 12.0, False),
])
def test_agreement_is_half_a_second_or_fifteen_percent(journal_s, witness_s, agree):
    row = Comparison("s", ("postgres",), journal_s, witness_s, 10)
    assert row.agree is agree


def test_compare_lays_each_fault_window_over_the_witness_lines():
    journal = {
        "clock": {"t0_unix": T0},
        "scenarios": [
            {"name": "pg-leader-kill", "budget": {"failover_of": ["postgres"]},
             "measures": {"injected_at": 10.0, "reverted_at": 20.0, "probes": {
                 "postgres": {"failover_s": 6.4}, "http": {"failover_s": 8.0}}}},
            {"name": "never-injected", "measures": None},
        ],
    }
    psql = loop("psql", T0, T0 + 30, lambda t: (False, 0.02) if T0 + 10 <= t < T0 + 16.3 else (True, 0.03))
    curl = loop("curl", T0, T0 + 30, lambda t: (True, 0.03))  # http is not what this budget judges
    rows = compare(journal, parse_witness("\n".join(psql + curl)))
    assert [(r.scenario, r.probes) for r in rows] == [("pg-leader-kill", ("postgres",))]
    assert rows[0].agree and rows[0].witness_attempts > 50
    assert rows[0].to_json()["agree"] is True


def test_without_failover_of_the_worst_probe_is_compared_on_both_sides():
    journal = {"clock": {"t0_unix": T0}, "scenarios": [
        {"name": "redis-master-kill", "budget": {"failover_of": None},
         "measures": {"injected_at": 10.0, "reverted_at": 20.0, "probes": {
             "redis": {"failover_s": 2.6}, "postgres": {"failover_s": 0.0}}}}]}
    redis = loop("redis-cli", T0, T0 + 30, lambda t: (False, 0.05) if T0 + 10 <= t < T0 + 12.5 else (True, 0.05))
    psql = loop("psql", T0, T0 + 30, lambda t: (True, 0.03))
    (row,) = compare(journal, parse_witness("\n".join(redis + psql)))
    assert row.probes == ("redis", "postgres") and row.journal_s == 2.6
    assert row.witness_s == pytest.approx(2.55, abs=0.15) and row.agree


def test_the_command_prints_each_pair_and_fails_on_a_disagreement(tmp_path):
    import json

    from click.testing import CliRunner

    from halab.chaos.cli import chaos

    journal = {"run_id": "r1", "clock": {"t0_unix": T0}, "scenarios": [
        {"name": "pg-leader-kill", "fault": "kill", "verdict": "pass", "budget": {"failover_of": ["postgres"]},
         "measures": {"injected_at": 10.0, "reverted_at": 20.0, "run_end": 30.0, "probes": {
             "postgres": {"probe": "postgres", "failover_s": 6.4}}}}]}
    (tmp_path / "journal.json").write_text(json.dumps(journal))
    psql = loop("psql", T0, T0 + 30, lambda t: (False, 0.02) if T0 + 10 <= t < T0 + 16.3 else (True, 0.03))
    (tmp_path / "witness.log").write_text("\n".join(psql))
    args = ["crosscheck", str(tmp_path / "journal.json"), str(tmp_path / "witness.log")]
    agreed = CliRunner().invoke(chaos, args)
    assert agreed.exit_code == 0, agreed.output
    assert "pg-leader-kill" in agreed.output and "1 of 1 agree within 0.5 s or 15%" in agreed.output

    journal["scenarios"][0]["measures"]["probes"]["postgres"]["failover_s"] = 4.0
    (tmp_path / "journal.json").write_text(json.dumps(journal))
    disagreed = CliRunner().invoke(chaos, args)
    assert disagreed.exit_code == 1 and "0 of 1 agree" in disagreed.output

    del journal["clock"]
    (tmp_path / "journal.json").write_text(json.dumps(journal))
    old = CliRunner().invoke(chaos, args)
    assert old.exit_code == 1 and "no wall-clock start" in old.output and "Traceback" not in old.output


def test_over_runs_judges_each_scenarios_medians_and_a_run_that_never_recovered_has_none():
    # A VIP kill three times: one run's curl loops caught the SYN window, two did not.
    runs = [[Comparison("vip-holder-kill", ("http",), 2.4, 1.2, 50), Comparison("pg-leader-kill", ("postgres",), 7.9, 7.8, 40)],
            [Comparison("vip-holder-kill", ("http",), 2.1, 2.3, 55), Comparison("pg-leader-kill", ("postgres",), 8.8, None, 40)],
            [Comparison("vip-holder-kill", ("http",), 2.6, 2.2, 52)]]
    assert [r.agree for r in runs[0]] == [False, True]
    vip, pg = over_runs(runs)
    assert (vip.scenario, vip.journal_s, vip.witness_s, vip.witness_attempts, vip.runs) == ("vip-holder-kill", 2.4, 2.2, 157, 3)
    assert vip.agree and pg.runs == 2
    assert pg.journal_s == pytest.approx(8.35) and pg.witness_s is None and not pg.agree  # not a number, not a pass


def test_the_command_judges_the_medians_of_several_runs(tmp_path):
    import json

    from click.testing import CliRunner

    from halab.chaos.cli import chaos

    def run(name, journal_s, outage_s):
        d = tmp_path / name
        d.mkdir()
        journal = {"run_id": name, "clock": {"t0_unix": T0}, "scenarios": [
            {"name": "pg-leader-kill", "fault": "kill", "verdict": "pass", "budget": {"failover_of": ["postgres"]},
             "measures": {"injected_at": 10.0, "reverted_at": 20.0, "run_end": 30.0,
                          "probes": {"postgres": {"probe": "postgres", "failover_s": journal_s}}}}]}
        (d / "journal.json").write_text(json.dumps(journal))
        (d / "witness.log").write_text("\n".join(loop("psql", T0, T0 + 30, lambda t: (False, 0.02) if T0 + 10 <= t < T0 + 10 + outage_s else (True, 0.03))))
        return ["--run", str(d)]

    args = ["crosscheck"] + run("r1", 6.4, 6.3) + run("r2", 4.0, 6.3) + run("r3", 6.6, 6.3)
    result = CliRunner().invoke(chaos, args)
    assert result.exit_code == 0, result.output
    assert "r2: 0 of 1 agree" in result.output and "medians over the 3 runs" in result.output and "1 of 1 medians agree" in result.output
    missing = CliRunner().invoke(chaos, ["crosscheck", "--run", str(tmp_path)])
    assert missing.exit_code == 1 and "journal.json does not exist" in missing.output and "Traceback" not in missing.output
    both = CliRunner().invoke(chaos, ["crosscheck", str(tmp_path / "r1" / "journal.json")])
    assert both.exit_code == 2 and "give either JOURNAL_FILE WITNESS_LOG, or one --run DIR per game day" in both.output
