"""The JUnit XML of a game day, rendered from journals and validated against junit-10.xsd (the
schema Jenkins, GitLab and pytest use; `make vendor` fetches it from PyPI)."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from halab.chaos.journal.schema import parse
from halab.chaos.views import junit

from .junit_schema import XSD

FIXTURE = Path(__file__).parent / "fixtures" / "report_journal.json"


@pytest.fixture(scope="module")
def schema():
    import xmlschema

    if not XSD.exists():
        pytest.fail(f"the JUnit schema is not at {XSD}: run `make vendor` (fetches it from PyPI once)")
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def journal() -> dict:
    return json.loads(FIXTURE.read_text())


def valid(schema, text: str) -> ET.Element:
    schema.validate(text)
    return ET.fromstring(text)


def test_every_scenario_is_a_test_case_with_its_figures(schema, journal):
    root = valid(schema, junit.render(parse(journal)))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "0", "0", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [s["name"] for s in journal["scenarios"]]
    assert {c.get("classname") for c in cases} == {"halab.gamedays.default"}
    assert sum(float(c.get("time")) for c in cases) == pytest.approx(float(suite.get("time")), abs=0.01)
    out = cases[1].find("system-out").text
    assert "failover 9.1 s" in out and "pg-leader moved pg2 → pg1" in out
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["run_id"] == journal["run_id"] and props["machine"].startswith("2 CPUs")


def test_a_broken_budget_is_a_failure_a_scenario_that_could_not_run_an_error_and_a_skip_a_skip(schema, journal):
    broken, unmeasured, skipped = (copy.deepcopy(s) for s in journal["scenarios"])
    broken.update(verdict="fail", reasons=["failover took 13.10 s for postgres, budget 12 s"])
    unmeasured.update(verdict="fail", measures=None, reasons=["the lab was not in steady state before the scenario: pg2 is exited"])
    skipped.update(verdict="skipped", measures=None, reasons=["skipped: the kernel has no sch_netem"])
    journal["scenarios"] = [broken, unmeasured, skipped]
    journal["status"] = "aborted"
    suite = valid(schema, junit.render(parse(journal))).find("testsuite")
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
    failure, error, skip = (c[0] for c in suite.findall("testcase"))
    assert (failure.tag, failure.get("type"), failure.get("message")) == ("failure", "budget", "failover took 13.10 s for postgres, budget 12 s")
    assert (error.tag, error.get("type")) == ("error", "lab") and "not in steady state" in error.get("message")
    assert (skip.tag, skip.get("message")) == ("skipped", "skipped: the kernel has no sch_netem")
    assert "ended aborted" in suite.find("system-err").text


def test_a_failed_revert_is_an_error_of_type_revert(schema, journal):
    journal["scenarios"][0].update(verdict="fail", revert_error="could not start pg2", reasons=["reverting the fault failed: ..."])
    case = valid(schema, junit.render(parse(journal))).find("testsuite/testcase")
    assert (case[0].tag, case[0].get("type")) == ("error", "revert")


def test_a_fault_from_the_dashboard_has_its_own_classname(schema, journal):
    journal["gameday_file"] = 'dashboard request {"scenario": "pg-leader-kill"}'
    assert valid(schema, junit.render(parse(journal))).find("testsuite/testcase").get("classname") == "halab.dashboard"


def test_halab_chaos_report_junit_renders_any_journal(schema, tmp_path):
    from halab.chaos.cli import chaos

    out = tmp_path / "ci" / "halab.xml"
    result = CliRunner().invoke(chaos, ["report", str(FIXTURE), "--junit", str(out)])
    assert result.exit_code == 0, result.output
    valid(schema, out.read_text())


def test_a_pass_decided_by_a_rerun_says_so_in_every_view(schema, journal, capsys):
    """rerun_misses: the journal keeps the miss; JUnit, the terminal table and the HTML report
    each show 'pass on run 2' and what run 1 missed, not a plain pass."""
    from halab.chaos.views import table as report
    from halab.chaos.views.html import render

    journal = copy.deepcopy(journal)
    entry = next(s for s in journal["scenarios"] if s["verdict"] == "pass" and s.get("measures"))
    miss = copy.deepcopy(entry) | {"verdict": "fail", "reasons": ["failover took 5.3 s for http, budget 4 s"], "attempt": 1}
    entry |= {"attempt": 2, "earlier_attempts": [miss]}
    journal["summary"]["passed_on_rerun"] = 1

    case = next(c for c in valid(schema, junit.render(parse(journal))).iter("testcase") if c.get("name") == entry["name"])
    assert case.find("failure") is None and case.find("error") is None  # the rerun decided: a pass
    assert case.find("system-out").text.startswith("run 1 missed its budget: failover took 5.3 s for http, budget 4 s")

    report.print_report(parse(journal))  # as in CI logs: not a terminal
    text = capsys.readouterr().out
    assert f"{entry['name']} (pass on run 2):" in text and "run 1 missed its budget: failover took 5.3 s" in text
    assert "(1 only on a rerun)" in text

    html = render(parse(journal))
    assert "pass on run 2" in html and "Passed only on a rerun" in html
    assert "run 1 missed its budget: failover took 5.3 s for http, budget 4 s" in html


def test_a_miss_confirmed_by_its_rerun_names_both_runs_in_the_report_banner(journal):
    from halab.chaos.views.html import render

    journal = copy.deepcopy(journal)
    entry = next(s for s in journal["scenarios"] if s.get("measures"))
    first = copy.deepcopy(entry) | {"verdict": "fail", "reasons": ["failover took 3.35 s for http, budget 0.3 s"], "attempt": 1}
    entry |= {"verdict": "fail", "reasons": ["failover took 2.01 s for http, budget 0.3 s"], "attempt": 2, "earlier_attempts": [first]}
    banner = render(parse(journal)).split('id="verdict"')[1].split("</section>")[0]
    assert "failover took 2.01 s for http, budget 0.3 s; run 1 missed its budget: failover took 3.35 s for http, budget 0.3 s" in banner
    assert "fail on run 2" in render(parse(journal))
