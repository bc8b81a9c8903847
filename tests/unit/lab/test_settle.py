"""`make up`'s wait for steady state: what it prints while waiting, and on a timeout."""

from __future__ import annotations

import json
from types import SimpleNamespace

from click.testing import CliRunner

from halab import cli
from halab.lab import logs, roles, settle
from halab.lab.status import Problem

from .test_status import lab

NO_SYNC = roles.PatroniView(
    (
        roles.PatroniMember("pg1", "leader", "running", None),
        roles.PatroniMember("pg2", "replica", "running", 0),
        roles.PatroniMember("pg3", "replica", "running", 0),
    ),
    "pg1",
)


def looks(monkeypatch, *statuses):
    """The waiter sees these lab states in turn (the last one repeats), one look per second of
    a fake clock: the waiter reads the clock once when it starts and once after each look."""
    sequence = list(statuses)
    clock = iter(range(10_000))
    monkeypatch.setattr("halab.lab.steady.collect", lambda: sequence.pop(0) if len(sequence) > 1 else sequence[0])
    monkeypatch.setattr("halab.lab.steady.time", SimpleNamespace(monotonic=lambda: float(next(clock)), sleep=lambda s: None))


def test_the_missing_sync_standby_names_the_postgres_members():
    problem = next(p for p in lab(pg=NO_SYNC).problems if "synchronous standby" in p)
    assert isinstance(problem, Problem) and problem.services == ("pg1", "pg2", "pg3")
    # Still a plain sentence wherever problems are printed or serialised.
    assert json.loads(json.dumps(lab(pg=NO_SYNC).to_json()))["problems"] == ["Postgres has no synchronous standby: commits are acknowledged by the primary alone"]


def test_settle_waits_for_the_sync_standby_and_says_what_it_waits_for(monkeypatch):
    looks(monkeypatch, lab(pg=NO_SYNC), lab(pg=NO_SYNC), lab())
    said: list[str] = []
    settled = settle.settle(10, echo=said.append)
    assert settled.status.healthy
    # The unmet condition is printed once, when it appears, not on every look.
    assert sum("no synchronous standby" in line for line in said) == 1
    assert "waiting for the lab to settle" in said[0]


def test_a_lab_that_is_already_steady_prints_nothing_while_waiting(monkeypatch):
    looks(monkeypatch, lab())
    said: list[str] = []
    assert settle.settle(10, echo=said.append).status.healthy
    assert said == []


def test_timeout_names_each_unmet_condition_and_the_logs_of_the_services_concerned(monkeypatch):
    looks(monkeypatch, lab(pg=NO_SYNC))
    monkeypatch.setattr(logs, "tails", lambda services: {s: [f"{s} log line"] for s in services})
    result = CliRunner().invoke(cli.main, ["settle", "--timeout", "0.01"])
    assert result.exit_code == 1
    assert "did not settle within 0.01 s" in result.output
    assert "- Postgres has no synchronous standby" in result.output
    assert "--- pg2, its last distinct log lines:\npg2 log line" in result.output
    assert "Traceback" not in result.output


def test_settled_prints_the_status_and_both_durations(monkeypatch):
    looks(monkeypatch, lab())
    result = CliRunner().invoke(cli.main, ["settle", "--timeout", "5", "--healthy-after", "31"])
    assert result.exit_code == 0, result.output
    assert "healthy: every service is up" in result.output
    # Steady on the first look (1 s), held until the look at 3 s.
    assert "containers healthy in 31 s, settled 3.0 s after that (34 s in all)" in result.output


def test_a_bad_timeout_is_a_usage_error_not_a_traceback():
    result = CliRunner().invoke(cli.main, ["settle", "--timeout", "-3"])
    assert result.exit_code == 2 and "Invalid value for '--timeout'" in result.output


def test_make_up_is_ready_only_when_steady_state_held_on_every_look_for_the_hold(monkeypatch):
    # Each look takes a second of a fake clock. The VIP is dropped on the look after the first
    # steady one (a CI run on 2026-11-23): the hold starts again from the next steady look.
    no_vip = lab(vip_holders=())
    looks(monkeypatch, lab(pg=NO_SYNC), lab(), no_vip, lab(), lab(), lab(), lab())
    said: list[str] = []
    settled = settle.settle(30, echo=said.append)
    assert settled.status.healthy
    # Looks at 1 s, 2 s (steady), 3 s (no VIP), then steady from 4 s: held 2 s (HOLD_S) at 6 s.
    assert settled.seconds == 4.0 + settle.HOLD_S
    assert any("held by 0 nodes" in line for line in said)


def test_status_with_logs_adds_what_the_services_concerned_last_logged_when_not_healthy(monkeypatch):
    from halab.lab import status

    monkeypatch.setattr(logs, "tails", lambda services: {s: [f"{s} log line"] for s in services})
    monkeypatch.setattr(status, "collect", lambda: lab(pg=NO_SYNC))
    plain, told = (CliRunner().invoke(cli.main, args) for args in (["status"], ["status", "--logs"]))
    assert plain.exit_code == told.exit_code == 1
    assert "log line" not in plain.output
    assert "--- pg3, its last distinct log lines:\npg3 log line" in told.output
    monkeypatch.setattr(status, "collect", lambda: lab())
    healthy = CliRunner().invoke(cli.main, ["status", "--logs"])
    assert healthy.exit_code == 0 and "log line" not in healthy.output
