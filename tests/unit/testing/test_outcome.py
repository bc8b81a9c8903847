"""The typed results a team's CI asserts on: every figure is the journal's, and where the journal
has none the types make an assertion fail rather than pass (never recovered, not measured, an
inconclusive read-back)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from halab.chaos.journal.outcome import GameDayOutcome

FIXTURE = Path(__file__).parents[1] / "chaos" / "fixtures" / "report_journal.json"


def journal_with(tmp_path: Path, **changes) -> Path:
    """The fixture journal, its vip-holder-kill scenario changed by `changes`."""
    journal = json.loads(FIXTURE.read_text())
    journal["scenarios"][0].update(changes)
    path = tmp_path / "run" / "journal.json"
    path.parent.mkdir()
    path.write_text(json.dumps(journal))
    return path


def test_the_journals_figures_typed():
    day = GameDayOutcome.from_journal(FIXTURE)
    assert day.run_id == "20261122T230934Z-2bf9" and day.passed
    pg = day.scenario("pg-leader-kill")
    assert pg.failover_s == 9.141 and pg.passed and pg.lost_writes("postgres") == 0
    assert pg.predicted is None or pg.predicted.min <= pg.predicted.max
    assert pg.report_path == FIXTURE.parent / "report.html"
    assert day.junit_path == FIXTURE.parent / "junit.xml"


def test_a_failover_that_never_ended_is_infinite_so_any_bound_fails(tmp_path):
    s = GameDayOutcome.from_journal(journal_with(tmp_path, failover_s=None)).scenario("vip-holder-kill")
    assert s.never_recovered and not s.failover_s < 10_000


def test_an_unmeasured_failover_is_not_a_number_so_any_bound_fails(tmp_path):
    s = GameDayOutcome.from_journal(journal_with(tmp_path, failover_s=None, measures=None)).scenario("vip-holder-kill")
    assert math.isnan(s.failover_s) and not s.failover_s < 10_000 and not s.never_recovered


def test_an_inconclusive_read_back_is_none_never_zero(tmp_path):
    writes = json.loads(FIXTURE.read_text())["scenarios"][0]["writes"]
    writes["postgres"] = {**writes["postgres"], "lost": None, "read_error": "connection refused"}
    s = GameDayOutcome.from_journal(journal_with(tmp_path, writes=writes)).scenario("vip-holder-kill")
    assert s.lost_writes("postgres") is None and s.lost_writes("postgres") != 0
    assert s.writes["postgres"].read_error == "connection refused"


def test_asking_for_what_was_not_run_names_what_was():
    day = GameDayOutcome.from_journal(FIXTURE)
    with pytest.raises(KeyError, match="no scenario 'nope' in run .*; it ran: vip-holder-kill, pg-leader-kill"):
        day.scenario("nope")
    with pytest.raises(KeyError, match="no write check for 'mysql' .* stores checked: http, kafka, postgres, redis"):
        day.scenario("pg-leader-kill").lost_writes("mysql")


def test_a_broken_budget_or_a_stopped_run_is_not_a_pass(tmp_path):
    failed = GameDayOutcome.from_journal(journal_with(tmp_path, verdict="fail", reasons=["failover took 5 s, budget 4 s"]))
    assert not failed.passed and failed.scenario("vip-holder-kill").reasons == ["failover took 5 s, budget 4 s"]
    journal = json.loads(FIXTURE.read_text())
    journal["status"] = "stopped"
    path = tmp_path / "stopped.json"
    path.write_text(json.dumps(journal))
    assert not GameDayOutcome.from_journal(path).passed
