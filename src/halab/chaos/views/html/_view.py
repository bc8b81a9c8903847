"""The journal, read into what the page shows: the run's header and verdict, the summary table,
and per scenario its figures, write ledger, topology and chart data.

Pure functions over the journal (`halab.chaos.journal.schema`); nothing here talks to the lab or to live objects, so a
journal from CI renders the same page later. The cells of the summary table come from the
terminal table's own helpers (`halab.chaos.views.table`), so the two never disagree, and the banner's
exit code from `run_outcome`, which `chaos run` exits with.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from halab.chaos.engine.measure import format_seconds
from halab.chaos.journal import facts, schema
from halab.chaos.journal.outcome import EXIT_FAILED, run_outcome
from halab.chaos.journal.store import FROM_DASHBOARD, RECORD_FIELDS
from halab.chaos.views.html import _charts

DEFAULT_GAMEDAY = "gamedays/default.yaml"
STORE_NAMES = {"postgres": "Postgres", "redis": "Redis", "kafka": "Kafka", "http": "HTTP orders"}


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def load_journal(path: Path) -> schema.Journal:
    """The journal at `path` (or `path`/journal.json for a run's folder); JournalError naming what
    is wrong."""
    return schema.load(path)


# ---------------------------------------------------------------------------------------------
# The page's model
# ---------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One big number on a scenario's card."""

    label: str
    value: str
    note: str = ""
    key: str = ""  # the journal field it shows, for tests and the browser check
    alarm: bool = False  # over its budget, never recovered, lost writes


@dataclass
class Scenario:
    index: int
    anchor: str
    name: str
    verdict: str
    verdict_label: str  # "pass on run 2" when a rerun decided it
    earlier: list[str]  # what each earlier run missed (rerun_misses)
    description: str
    fault: str
    target: str
    reasons: list[str]
    prediction: str | None  # the predicted failover, its formula, and a flag when the measure fell outside
    figures: list[Figure]
    probes: list[dict]  # the per-probe table
    ledger: list[dict]
    topology: list[dict]
    blockers: list[tuple[str, str]]
    recovery_logs: list[tuple[str, str]]  # (service, its last distinct log lines) when it never recovered
    chart: dict | None  # None: nothing was measured
    measured: bool


@dataclass
class Page:
    title: str
    run_id: str
    gameday_file: str
    started: str
    duration: str
    status: str
    machine: str
    app_service: str
    profile: str | None
    knobs: list[tuple[str, list[tuple[str, list[str]]]]]
    reproduce: list[str]
    rerender: str
    banner: dict
    summary: list[dict]
    scenarios: list[Scenario]
    charts: dict = field(default_factory=dict)  # anchor -> chart data, inlined as JSON


def build(journal: schema.Journal, journal_path: str) -> Page:
    scenarios = [_scenario(i, s, journal) for i, s in enumerate(journal.scenarios, 1)]
    return Page(
        title=journal.title or "game day",
        run_id=journal.run_id,
        gameday_file=journal.gameday_file or "?",
        started=_when(journal.start),
        duration=_duration(journal.start, journal.end),
        status=journal.status,
        machine=_machine(journal.machine),
        app_service=str(journal.app_service) + ("" if not journal.app_service.is_halabs else ", halab's own"),
        profile=journal.profile,
        knobs=_knobs(journal.knobs),
        reproduce=_reproduce(journal),
        rerender=f"halab chaos report --html {journal_path}",
        banner=_banner(journal),
        summary=[_summary_row(s) for s in journal.scenarios],
        scenarios=scenarios,
        charts={sc.anchor: sc.chart for sc in scenarios if sc.chart},
    )


def anchor(name: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def seconds(value: float | None, never: str = "never recovered") -> str:
    return never if value is None else f"{format_seconds(value)} s"


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return iso


def _duration(start: str | None, end: str | None) -> str:
    try:
        total = int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
    return f"{total // 60} min {total % 60} s"


def _machine(m: schema.Machine) -> str:
    parts = [f"{m.cpus} CPUs" if m.cpus else None, f"{m.memory_gib} GiB" if m.memory_gib else None,
             m.cpu_model, m.platform, f"host {m.hostname}" if m.hostname else None]
    return ", ".join(p for p in parts if p) or "unknown"


def _knobs(knobs: dict) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Per service, each knob with its values (one per backend when it is set per backend)."""
    groups = []
    for group, values in knobs.items():
        if group == "profile" or not isinstance(values, dict):
            continue
        groups.append((group, [(k, [_knob_value(x) for x in (v if isinstance(v, list) else [v])]) for k, v in values.items()]))
    return groups


def _knob_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _reproduce(journal: schema.Journal) -> list[str]:
    """The make commands that ran this game day again: the profile (when the journal knows it),
    then the file and, for a single scenario, its name."""
    commands = []
    if journal.profile and journal.profile != "unknown":
        commands.append(f"make up PROFILE={journal.profile}")
    source = journal.gameday_file or ""
    if source.startswith(FROM_DASHBOARD):
        request = source.removeprefix(FROM_DASHBOARD)
        # The token is the end of the URL `make dashboard` prints (docs/dashboard.md).
        return [*commands, "make dashboard",
                "curl -X POST http://127.0.0.1:8090/api/faults -H 'Content-Type: application/json' "
                f"-H \"Authorization: Bearer $TOKEN\" -d '{request}'"]
    chaos = "make chaos"
    if (journal.gameday_file or DEFAULT_GAMEDAY) != DEFAULT_GAMEDAY:
        chaos += f" FILE={journal.gameday_file}"
    if len(journal.scenarios) == 1:
        chaos += f" SCENARIO={journal.scenarios[0].name}"
    commands.append(chaos)
    return commands


def _banner(journal: schema.Journal) -> dict:
    """The run's verdict, by the same rule as `chaos run`'s exit code."""
    scenarios = journal.scenarios
    failed = [s for s in scenarios if s.verdict == "fail"]
    status = journal.status
    message, code = run_outcome(status, len(failed), revert_failed=journal.revert_error)
    if status == "crashed":  # the journal does not keep the exception itself
        message = "the game day stopped on an unexpected error (see the run's output); every injected fault was reverted"
    if code == 0:
        headline = f"Every scenario within its budget: {_plural(len(scenarios), 'scenario')} ran"
        skipped = sum(1 for s in scenarios if s.verdict == "skipped")
        if skipped:
            headline += f", {skipped} skipped"
    elif code == EXIT_FAILED:
        headline = f"{len(failed)} of {_plural(len(scenarios), 'scenario')} broke {'its' if len(failed) == 1 else 'their'} budget"
    else:
        headline = message.split("\n")[0] if message else status
    return {
        "kind": "pass" if code == 0 else "fail",
        "headline": headline,
        "message": message if code not in (0, EXIT_FAILED) else None,
        "exit_code": code,
        # A miss that also missed on its reruns names every run's miss: the first may be the worst.
        "broken": [(s.name, anchor(s.name), [*s.reasons, *facts.earlier_misses(s)]) for s in scenarios if s.verdict != "pass"],
        "reruns": [(s.name, anchor(s.name), facts.earlier_misses(s)) for s in scenarios
                   if s.verdict == "pass" and s.earlier_attempts],
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _prediction(s: schema.Scenario) -> str | None:
    p = s.predicted_failover_s
    if not p:
        return None
    text = f"Predicted failover {p.min:.1f}-{p.max:.1f} s (expected {p.expected:.1f} s): {p.formula}."
    return text + (f" Measured: {s.failover_vs_predicted}." if s.failover_vs_predicted else "")


def _summary_row(s: schema.Scenario) -> dict:
    """The terminal table's row (table.results_table), cell by cell."""
    rd = s.return_disruption
    return {
        "anchor": anchor(s.name),
        "name": s.name,
        "target": facts.target_label(s),
        "failover_s": facts.failover_label(s),
        "predicted_failover_s": facts.predicted_label(s),
        "new_requests_ok_s": facts.new_requests_label(s),
        "longest_stall_s": facts.seconds(s.longest_stall_s),
        "requests_failed": f"{s.requests_failed}/{s.requests_total}" if s.requests_total else "-",
        "lost": facts.lost_per_store(s),
        "return": f"{rd.failed} failed" if rd and rd.failed else "-",
        "back_to_steady_s": facts.seconds(s.back_to_steady_s),
        "budget": facts.budget_label(s.budget),
        "verdict": s.verdict,
        "verdict_label": facts.verdict_label(s),
        "rerun": bool(s.earlier_attempts),
    }


# ---------------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------------


def _scenario(index: int, s: schema.Scenario, journal: schema.Journal) -> Scenario:
    records = s.requests(journal.record_fields or RECORD_FIELDS)
    return Scenario(
        index=index,
        anchor=anchor(s.name),
        name=s.name,
        verdict=s.verdict,
        verdict_label=facts.verdict_label(s),
        earlier=facts.earlier_misses(s),
        description=s.description.strip(),
        prediction=_prediction(s),
        fault=s.fault_description or s.fault or "?",
        target=facts.target_label(s, arrow=" → ", control="none (control)"),
        reasons=list(s.reasons),
        figures=_figures(s),
        probes=_probe_rows(s) if s.measures else [],
        ledger=_ledger(s),
        topology=_topology(s, records),
        blockers=[(problem, f"{at:g} s") for problem, at in sorted(s.recovery_blockers.items(), key=lambda kv: kv[1])],
        recovery_logs=[(service, "\n".join(lines)) for service, lines in s.recovery_logs.items()],
        chart=_charts.scenario_chart(s, records) if s.measures and s.window else None,
        measured=s.measures is not None,
    )


def _figures(s: schema.Scenario) -> list[Figure]:
    if s.measures is None:
        return []
    budget = s.budget
    whose = ", ".join(budget.failover_of or []) or "worst probe"
    limit = budget.max_failover_s
    failover = s.failover_s
    figures = [Figure(
        "failover", seconds(failover), f"of {whose}" + (f" · budget {format_seconds(limit)} s" if limit is not None else ""),
        key="failover_s", alarm=failover is None or (limit is not None and failover > limit),
    )]
    worst = s.failover_worst_s
    if worst != failover and budget.failover_of:
        probe = _worst_probe(s)
        figures.append(Figure("worst probe", seconds(worst), f"{probe}, not judged" if probe else "not judged", key="failover_worst_s"))
    if s.has_send_side_figure:
        figures.append(Figure("new requests ok", seconds(s.new_requests_ok_s, "never"), "send side", key="new_requests_ok_s",
                              alarm=s.new_requests_ok_s is None))
    figures.append(Figure("longest stall", seconds(s.longest_stall_s, "-"), "no success completed", key="longest_stall_s"))
    max_failed = budget.max_failed_requests
    if s.requests_total:
        figures.append(Figure(
            "failed requests", f"{s.requests_failed}", f"of {s.requests_total} HTTP"
            + (f" · budget {max_failed}" if max_failed is not None else ""), key="requests_failed",
            alarm=max_failed is not None and s.requests_failed > max_failed,
        ))
    lost = [w.lost for w in s.writes.values()]
    figures.append(Figure(
        "lost writes", "inconclusive" if None in lost else str(sum(lost)),  # type: ignore[arg-type]
        "acknowledged, then missing", key="lost", alarm=None in lost or any(lost),
    ))
    figures.append(Figure("back to steady", seconds(s.back_to_steady_s, "not reached"), "after the revert",
                          key="back_to_steady_s", alarm=s.back_to_steady_s is None))
    rd = s.return_disruption
    if rd and (rd.failed or rd.duration_s):
        figures.append(Figure("return disruption", seconds(rd.duration_s), f"{rd.failed} failed",
                              key="return_disruption", alarm=rd.duration_s is None))
    return figures


def _worst_probe(s: schema.Scenario) -> str | None:
    probes = s.measures.probes if s.measures else {}
    return next((name for name, p in probes.items() if p.failover_s == s.failover_worst_s), None)


def _probe_rows(s: schema.Scenario) -> list[dict]:
    rows = []
    judged = s.budget.failover_of or []
    for name, p in s.measures.probes.items():  # type: ignore[union-attr]
        rows.append({
            "probe": name,
            "judged": not judged or name in judged,
            "requests": p.requests_total,
            "failed": p.requests_failed,
            "slow": p.requests_slow,
            "bound": f"{format_seconds(p.latency_bound_s)} s" if p.latency_bound_s is not None else "-",
            "bound_rule": p.latency_bound_rule,
            "failover": seconds(p.failover_s),
            "new_requests": seconds(p.new_requests_ok_s, "never"),
            "stall": seconds(p.longest_stall_s, "-"),
            "p99_before": _ms(p.latency_before.p99_ms),
            "p99_during": _ms(p.latency_during.p99_ms),
        })
    return rows


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _ledger(s: schema.Scenario) -> list[dict]:
    listed = {}
    for p in (s.measures.probes.values() if s.measures else ()):
        if p.writes:
            listed[p.writes.store] = (p.writes.lost_seqs, p.writes.unexpected_seqs)
    rows = []
    for store, w in s.writes.items():
        lost_seqs, unexpected_seqs = listed.get(store, ([], []))
        inconclusive = w.read_error is not None
        rows.append({
            "store": store,
            "name": STORE_NAMES.get(store, store),
            "attempted": w.attempted,
            "acknowledged": w.acknowledged,
            **{k: "inconclusive" if inconclusive and getattr(w, k) is None else getattr(w, k)
               for k in ("ok", "lost", "unexpected", "recovered")},
            "unknown": w.unknown,
            "duplicates": w.duplicates,
            "lost_seqs": ", ".join(map(str, lost_seqs)) + (" …" if w.lost and w.lost > len(lost_seqs) else ""),
            "unexpected_seqs": ", ".join(map(str, unexpected_seqs)),
            "read_error": w.read_error,
            "alarm": inconclusive or bool(w.lost),
        })
    return rows


def _topology(s: schema.Scenario, records: dict[str, list[schema.Record]]) -> list[dict]:
    """Who held what before the fault and after the lab was steady again, as far as the journal
    knows: the role the fault targeted (the runner watched it hand over), and which load
    balancer and app replicas answered the HTTP probe (X-LB-Node, X-Served-By)."""
    rows = []
    window = s.window
    injected = window.injected_at if window else None
    rc = s.role_change
    if rc:
        seen = rc.first_seen_at
        rows.append({
            "what": rc.role,
            "before": rc.old_holder or "?",
            "after": rc.new_holder or "no new holder seen",
            "note": f"new holder first seen {format_seconds(seen - injected)} s after the fault" if seen is not None and injected is not None else "",
            "moved": bool(rc.new_holder) and rc.new_holder != rc.old_holder,
        })
    elif s.target:
        rows.append({"what": s.target, "before": s.service or "?", "after": s.service or "?",
                     "note": "this role does not hand over; the node came back", "moved": False})
    http = records.get("http") or []
    if http and injected is not None:
        steady_at = None
        if window.reverted_at is not None and s.back_to_steady_s is not None:  # type: ignore[union-attr]
            steady_at = window.reverted_at + s.back_to_steady_s  # type: ignore[union-attr]
        before = [r for r in http if r.t_send < injected and r.outcome == "ok"]
        after = [r for r in http if r.t_send >= (steady_at if steady_at is not None else injected) and r.outcome == "ok"]
        after_note = "after steady state" if steady_at is not None else "after the fault"
        for key, label in (("lb", "load balancer answering"), ("replica", "app replicas answering")):
            b, a = _shares(before, key), _shares(after, key)
            if b or a:
                rows.append({"what": label, "before": b or "-", "after": a or "-", "note": f"HTTP probe, before the fault / {after_note}",
                             "moved": _names(before, key) != _names(after, key)})
    return rows


def _names(records: list[schema.Record], key: str) -> set:
    return {getattr(r, key) for r in records if getattr(r, key)}


def _shares(records: list[schema.Record], key: str) -> str:
    counts = Counter(getattr(r, key) for r in records if getattr(r, key))
    total = sum(counts.values())
    return ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in sorted(counts.items())) if total else ""


def as_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
