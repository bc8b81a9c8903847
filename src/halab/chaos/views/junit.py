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
from halab.chaos.journal.store import FROM_DASHBOARD

FILE_NAME = "junit.xml"


def _seconds(value: float) -> str:
    # The schema's SUREFIRE_TIME: digits with at most three decimals.
    return f"{max(value, 0.0):.3f}"


def _classname(journal: dict) -> str:
    source = journal.get("gameday_file") or "gameday"
    if source.startswith(FROM_DASHBOARD):
        return "halab.dashboard"
    stem = Path(source).with_suffix("").as_posix()
    return "halab." + re.sub(r"[^A-Za-z0-9_]+", ".", stem).strip(".")


def _durations(journal: dict) -> list[float]:
    """Each scenario's wall-clock time: until the next one started, the last until the run ended."""
    # A scenario run again (`rerun_misses`) began with its first attempt.
    starts = [((s.get("earlier_attempts") or [s])[0]).get("started_at") for s in journal["scenarios"]] + [journal.get("end")]
    durations = []
    for begin, end in zip(starts, starts[1:]):
        try:
            durations.append((datetime.fromisoformat(end) - datetime.fromisoformat(begin)).total_seconds())
        except (TypeError, ValueError):
            durations.append(0.0)
    return durations


def figures(s: dict) -> str:
    """The scenario's numbers in one paragraph, as the table shows them."""
    lines = [
        f"failover {'never recovered' if facts.never_recovered(s) else facts.seconds(s['failover_s']) + ' s'}"
        f" (predicted {facts.predicted_label(s)} s), new requests ok {facts.new_requests_label(s)} s",
        f"failed requests {s['requests_failed']}/{s['requests_total']}, "
        f"lost writes pg/rd/kf/http {'/'.join(facts.lost_label(s['writes'].get(st)) for st in facts.STORES)}",
        f"budget: {facts.budget_label(s['budget'])}",
    ]
    rc = s.get("role_change")
    if rc and rc.get("new_holder") and s.get("window"):
        lines.append(f"{rc['role']} moved {rc['old_holder']} → {rc['new_holder']} "
                     f"(seen {rc['first_seen_at'] - s['window']['injected_at']:.1f} s after the fault)")
    if s.get("back_to_steady_s") is not None:
        lines.append(f"back to steady state {s['back_to_steady_s']:.1f} s after the revert")
    p = s.get("predicted_failover_s")
    if p:
        lines.append(f"prediction: {p['formula']}")
    return "\n".join(lines)


def _could_not_measure(s: dict) -> bool:
    return s.get("revert_error") is not None or s.get("measures") is None


def render(journal: dict) -> str:
    scenarios = journal["scenarios"]
    failures = sum(1 for s in scenarios if s["verdict"] == "fail" and not _could_not_measure(s))
    errors = sum(1 for s in scenarios if s["verdict"] == "fail" and _could_not_measure(s))
    skipped = sum(1 for s in scenarios if s["verdict"] == "skipped")
    durations = _durations(journal)
    total = sum(durations)
    suites = ET.Element("testsuites", name="halab", tests=str(len(scenarios)), failures=str(failures),
                        errors=str(errors), time=_seconds(total))
    suite = ET.SubElement(suites, "testsuite", name=journal["title"], tests=str(len(scenarios)),
                          failures=str(failures), errors=str(errors), skipped=str(skipped), time=_seconds(total),
                          timestamp=journal.get("start", ""), hostname=(journal.get("machine") or {}).get("hostname") or "")
    props = ET.SubElement(suite, "properties")
    profile = ((journal.get("knobs") or {}).get("profile") or {}).get("name") or "unknown"
    machine = journal.get("machine") or {}
    for name, value in (("run_id", journal["run_id"]), ("status", journal.get("status", "")), ("profile", profile),
                        ("gameday_file", journal.get("gameday_file", "")),
                        ("machine", f"{machine.get('cpus')} CPUs, {machine.get('memory_gib')} GiB, "
                                    f"{machine.get('cpu_model') or machine.get('platform')}")):
        ET.SubElement(props, "property", name=name, value=str(value))
    for s, seconds in zip(scenarios, durations):
        case = ET.SubElement(suite, "testcase", name=s["name"], classname=_classname(journal), time=_seconds(seconds))
        reasons = s.get("reasons") or []
        if s["verdict"] == "skipped":
            ET.SubElement(case, "skipped", message=reasons[0] if reasons else "skipped")
        elif s["verdict"] == "fail":
            kind = "error" if _could_not_measure(s) else "failure"
            element = ET.SubElement(case, kind, type="revert" if s.get("revert_error") else "budget" if kind == "failure" else "lab",
                                    message=reasons[0] if reasons else "failed")
            element.text = "\n".join(reasons)
        # A pass decided by a rerun (`rerun_misses`) says so, with what the earlier runs missed.
        out = [*facts.earlier_misses(s), *([figures(s)] if s.get("measures") is not None else [])]
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
    if journal.get("status") not in (None, "completed"):
        ET.SubElement(suite, "system-err").text = (
            f"the game day ended {journal['status']}: {journal.get('revert_error') or 'see the journal'}; "
            f"scenarios after the last one listed did not run")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write(journal: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(journal), encoding="utf-8")
    return path
