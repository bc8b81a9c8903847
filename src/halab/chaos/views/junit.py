"""A game day as JUnit XML, rendered from its journal: one test case per scenario, so that a CI
system (GitHub Actions, GitLab, Jenkins) lists scenarios as tests and shows a broken budget as a
failure with its reason.

    pass       a test case with the scenario's figures in <system-out>
    fail       <failure type="budget"> when it was measured and broke its budget; <error> when
               it could not be measured (no steady state, the fault never injected) or its revert
               failed (the lab may be left broken)
    skipped    <skipped> with the reason (e.g. no netem in this kernel)

It follows the JUnit schema Jenkins, GitLab and pytest use (junit-10.xsd); a unit test validates
it against that schema.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from halab.chaos.journal import facts
from halab.chaos.journal.schema import Journal, Scenario
from halab.chaos.journal.store import FROM_DASHBOARD

FILE_NAME = "junit.xml"


def _seconds(value: float) -> str:
    # The schema's SUREFIRE_TIME: digits with at most three decimals.
    return f"{max(value, 0.0):.3f}"


def _classname(journal: Journal) -> str:
    source = journal.gameday_file or "gameday"
    if source.startswith(FROM_DASHBOARD):
        return "halab.dashboard"
    stem = Path(source).with_suffix("").as_posix()
    return "halab." + re.sub(r"[^A-Za-z0-9_]+", ".", stem).strip(".")


def _durations(journal: Journal) -> list[float]:
    """Each scenario's wall-clock time: until the next one started, the last until the run ended."""
    # A scenario run again (`rerun_misses`) began with its first attempt.
    starts = [(s.earlier_attempts or [s])[0].started_at for s in journal.scenarios] + [journal.end]
    durations = []
    for begin, end in zip(starts, starts[1:]):
        try:
            durations.append((datetime.fromisoformat(end) - datetime.fromisoformat(begin)).total_seconds())
        except (TypeError, ValueError):
            durations.append(0.0)
    return durations


def figures(s: Scenario) -> str:
    """The scenario's numbers in one paragraph, as the table shows them."""
    failover = facts.failover_label(s) + ("" if s.never_recovered else " s")
    lines = [
        f"failover {failover} (predicted {facts.predicted_label(s)} s), new requests ok {facts.new_requests_label(s)} s",
        f"failed requests {s.requests_failed}/{s.requests_total}, lost writes pg/rd/kf/http {facts.lost_per_store(s)}",
        f"budget: {facts.budget_label(s.budget)}",
    ]
    rc = s.role_change
    if rc and rc.new_holder and s.window:
        lines.append(f"{rc.role} moved {rc.old_holder} → {rc.new_holder} "
                     f"(seen {rc.first_seen_at - s.window.injected_at:.1f} s after the fault)")
    if s.back_to_steady_s is not None:
        lines.append(f"back to steady state {s.back_to_steady_s:.1f} s after the revert")
    if s.predicted_failover_s:
        lines.append(f"prediction: {s.predicted_failover_s.formula}")
    return "\n".join(lines)


def _could_not_measure(s: Scenario) -> bool:
    return s.revert_error is not None or s.measures is None


def render(journal: Journal) -> str:
    scenarios = journal.scenarios
    failures = sum(1 for s in scenarios if s.verdict == "fail" and not _could_not_measure(s))
    errors = sum(1 for s in scenarios if s.verdict == "fail" and _could_not_measure(s))
    skipped = sum(1 for s in scenarios if s.verdict == "skipped")
    durations = _durations(journal)
    total = sum(durations)
    suites = ET.Element("testsuites", name="halab", tests=str(len(scenarios)), failures=str(failures),
                        errors=str(errors), time=_seconds(total))
    suite = ET.SubElement(suites, "testsuite", name=journal.title, tests=str(len(scenarios)),
                          failures=str(failures), errors=str(errors), skipped=str(skipped), time=_seconds(total),
                          timestamp=journal.start or "", hostname=journal.machine.hostname or "")
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", journal.run_id), ("status", journal.status), ("profile", journal.profile or "unknown"),
                        ("gameday_file", journal.gameday_file or ""), ("machine", str(journal.machine))):
        ET.SubElement(props, "property", name=name, value=str(value))
    for s, seconds in zip(scenarios, durations):
        case = ET.SubElement(suite, "testcase", name=s.name, classname=_classname(journal), time=_seconds(seconds))
        reasons = s.reasons
        if s.verdict == "skipped":
            ET.SubElement(case, "skipped", message=reasons[0] if reasons else "skipped")
        elif s.verdict == "fail":
            kind = "error" if _could_not_measure(s) else "failure"
            element = ET.SubElement(case, kind, type="revert" if s.revert_error else "budget" if kind == "failure" else "lab",
                                    message=reasons[0] if reasons else "failed")
            element.text = "\n".join(reasons)
        # A pass decided by a rerun (`rerun_misses`) says so, with what the earlier runs missed.
        out = [*facts.earlier_misses(s), *([figures(s)] if s.measures is not None else [])]
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
    if journal.status != "completed":
        ET.SubElement(suite, "system-err").text = (
            f"the game day ended {journal.status}: {journal.revert_error or 'see the journal'}; "
            f"scenarios after the last one listed did not run")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write(journal: Journal, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(journal), encoding="utf-8")
    return path
