"""The witness's shell-loop output read beside a journal (synthetic, with realistic latencies)."""

import pytest

from halab.chaos.crosscheck import Attempt, Comparison, compare, parse_witness, witness_failover

T0 = 1_795_000_000.0  # the run's t=0 on the wall clock


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


def test_parse_skips_stray_output_and_maps_clients_to_probes():
    text = "\n".join(["psql 1.0 1.1 ok -", "% some kcat chatter", "curl 2.0 x ok -", "redis-cli 3.0 3.2 fail no_master",
                      "kcat 4.0 4.5 maybe -"])
    assert parse_witness(text) == {"postgres": [Attempt("psql", 1.0, 1.1, True)], "redis": [Attempt("redis-cli", 3.0, 3.2, False)]}


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
    fine = [Attempt("kcat", T0 + t / 10, T0 + t / 10 + 0.05, True) for t in range(300)]
    assert witness_failover(fine, T0 + 10, T0 + 20) == 0.0
    down = [Attempt("kcat", T0 + t / 10, T0 + t / 10 + 0.05, t < 100) for t in range(300)]
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
        {"name": "pg-leader-kill", "budget": {"failover_of": ["postgres"]}, "measures": {"injected_at": 10.0, "reverted_at": 20.0, "probes": {
            "postgres": {"failover_s": 6.4}}}}]}
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
