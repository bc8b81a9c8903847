"""The tables rendered from journals: a run that never recovered, or whose read-back failed, is
never shown as a number it did not have."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from halab.chaos.journal.schema import Journal, parse
from halab.chaos.views.table import medians_table, print_report

MEASURED = {"injected_at": 10.0, "run_end": 30.0}  # what the tables look at: that the scenario was measured


def scenario(name: str = "pg-leader-kill", *, failover_s: float | None = 2.0, measures: dict | None = MEASURED,
             lost: dict[str, int | None] | None = None, verdict: str = "pass") -> dict:
    """One scenario as journal.scenario_json writes it, with only what the tables read."""
    lost = {"http": 0, "postgres": 0} if lost is None else lost
    writes = {store: {"lost": n, "read_error": None if n is not None else "connection refused"}
              for store, n in lost.items()}
    return {
        "name": name, "fault": "kill", "target": "pg-leader", "service": "pg1", "failover_s": failover_s, "longest_stall_s": 1.0,
        "requests_total": 500, "requests_failed": 12, "writes": writes, "return_disruption": None,
        "back_to_steady_s": 5.0, "budget": {"max_failover_s": 10}, "verdict": verdict, "reasons": [],
        "role_change": None, "measures": measures,
    }


def journal(run_id: str, *scenarios: dict) -> Journal:
    return parse({
        "run_id": run_id, "title": "t", "scenarios": list(scenarios),
        "summary": {"pass": 0, "fail": 0, "skipped": 0}, "machine": {"cpus": 4, "memory_gib": 8},
    })


# Named journal scenarios, each a way a run can end.
RECOVERED_IN_2_S = scenario(failover_s=2.0)
RECOVERED_IN_4_S = scenario(failover_s=4.0)
NEVER_RECOVERED = scenario(failover_s=None, verdict="fail")
SKIPPED = scenario(failover_s=None, measures=None, lost={}, verdict="skipped")
POSTGRES_READ_BACK_FAILED = scenario(lost={"http": 0, "postgres": None}, verdict="fail")
POSTGRES_LOST_3 = scenario(lost={"http": 0, "postgres": 3}, verdict="fail")


def rendered(table) -> str:
    console = Console(file=io.StringIO(), width=250)
    console.print(table)
    return console.file.getvalue()


def row(text: str, name: str = "pg-leader-kill") -> list[str]:
    """The cells of the row of scenario `name`."""
    line = next(line for line in text.splitlines() if name in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def medians(*scenarios: dict) -> list[str]:
    """The medians row over one journal per scenario."""
    return row(rendered(medians_table([journal(f"run{i}", s) for i, s in enumerate(scenarios, 1)])))


def report_row(s: dict, capsys: pytest.CaptureFixture[str]) -> list[str]:
    print_report(journal("run1", s), Console(file=io.StringIO()))  # not a terminal: prints to stdout
    return row(capsys.readouterr().out)


# --- medians ---------------------------------------------------------------------------------------

def test_median_failover_of_runs_that_all_recovered() -> None:
    assert medians(RECOVERED_IN_2_S, RECOVERED_IN_4_S, RECOVERED_IN_4_S)[1] == "4.0"


def test_a_run_that_never_recovered_makes_the_median_no_number() -> None:
    assert medians(RECOVERED_IN_2_S, NEVER_RECOVERED, RECOVERED_IN_4_S)[1] == "never recovered (1 of 3)"


def test_a_skipped_run_is_no_sample() -> None:
    assert medians(RECOVERED_IN_2_S, SKIPPED, RECOVERED_IN_4_S)[1] == "3.0"
    assert medians(SKIPPED, NEVER_RECOVERED)[1] == "never recovered (1 of 1)"


def test_an_inconclusive_read_back_is_never_zero_lost() -> None:
    assert medians(RECOVERED_IN_2_S, POSTGRES_READ_BACK_FAILED)[5] == "inconclusive/-/-/0"
    assert medians(POSTGRES_LOST_3, POSTGRES_READ_BACK_FAILED)[5] == "≥3, inconclusive/-/-/0"
    assert medians(RECOVERED_IN_2_S, POSTGRES_LOST_3)[5] == "3/-/-/0"


# --- one run -----------------------------------------------------------------------------------------

def test_report_shows_never_recovered(capsys: pytest.CaptureFixture[str]) -> None:
    assert report_row(NEVER_RECOVERED, capsys)[2] == "never recovered"
    assert report_row(RECOVERED_IN_2_S, capsys)[2] == "2.0"
    assert report_row(SKIPPED, capsys)[2] == "-"  # not measured, so no failover at all


def test_the_predicted_range_is_beside_the_failover_and_says_when_the_measure_fell_outside(capsys):
    predicted = {"min": 4.3, "expected": 6.5, "max": 9.0, "formula": "ttl ..."}
    assert report_row({**RECOVERED_IN_2_S, "predicted_failover_s": predicted}, capsys)[3] == "4.3-9.0 (below)"
    assert report_row({**RECOVERED_IN_2_S, "failover_s": 6.0, "predicted_failover_s": predicted}, capsys)[3] == "4.3-9.0"
    assert report_row({**RECOVERED_IN_2_S, "failover_s": 9.2, "predicted_failover_s": predicted}, capsys)[3] == "4.3-9.0 (above)"
    assert report_row(RECOVERED_IN_2_S, capsys)[3] == "-"  # a journal from before predictions


def test_report_shows_an_inconclusive_read_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert report_row(POSTGRES_READ_BACK_FAILED, capsys)[7] == "inconclusive/-/-/0"
    assert report_row(POSTGRES_LOST_3, capsys)[7] == "3/-/-/0"


def test_the_send_side_figure_shows_never_and_is_blank_for_old_journals(capsys):
    assert report_row({**RECOVERED_IN_2_S, "new_requests_ok_s": 1.0}, capsys)[4] == "1.0"
    assert report_row({**NEVER_RECOVERED, "new_requests_ok_s": None}, capsys)[4] == "never"
    assert report_row(RECOVERED_IN_2_S, capsys)[4] == "-"  # a journal from before the figure existed
    assert medians({**RECOVERED_IN_2_S, "new_requests_ok_s": 1.0}, {**RECOVERED_IN_4_S, "new_requests_ok_s": None})[2] == "never (1 of 2)"
