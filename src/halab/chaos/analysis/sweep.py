"""`make spof-sweep`: the impact of every single failure, and of the double ones the lab is not
built to survive, from the journal of gamedays/spof-sweep.yaml only.

A single failure is a scenario with one fault on one service; a double one has `also`. Per
scenario and probe: the failover clients saw (by completion, as everywhere), failed requests and
lost acknowledged writes. A single failure that broke its budget, or after which a probe never
recovered, is a single point of failure and is named. For a double failure, the question is
whether the lab came back to steady state by itself once the services returned.

Written to reports/sweep/<run-id>/sweep.json beside the journal; the tables are rendered from it.
"""

from __future__ import annotations

import json
from pathlib import Path

from halab.chaos.journal import schema
from halab.chaos.journal.facts import earlier_misses, verdict_label
from halab.chaos.journal.schema import Journal, Scenario
from halab.lab import topology

PROBES = ("http", "postgres", "redis", "kafka")


def _probe_row(s: Scenario, probe: str) -> dict | None:
    p = s.measures.probes.get(probe) if s.measures else None
    if p is None:
        return None
    check = s.writes.get(probe)
    lost = None if check is None else check.lost
    return {"failover_s": p.failover_s, "never_recovered": p.failover_s is None,
            "failed": p.requests_failed, "total": p.requests_total,
            "lost": lost, "inconclusive": check is not None and lost is None}


def summarise(journal: Journal) -> dict:
    singles, doubles = [], []
    for s in journal.scenarios:
        services = s.services or ([s.service] if s.service not in (None, "-") else [])
        row = {
            "scenario": s.name, "services": services,
            "group": topology.group_of(services[0]) if services and services[0] in topology.ALL_SERVICES else None,
            "verdict": s.verdict, "reasons": s.reasons,
            "verdict_label": verdict_label(s), "earlier_misses": earlier_misses(s),
            "failover_s": s.failover_s,
            "probes": {p: r for p in PROBES if (r := _probe_row(s, p)) is not None},
            "role_change": s.role_change.model_dump() if s.role_change else None,
            "back_to_steady_s": s.back_to_steady_s,
        }
        if len(services) > 1:
            row["recovered_by_itself"] = s.back_to_steady_s is not None
            doubles.append(row)
        elif services:
            singles.append(row)
    # A single point of failure: a lone failure after which clients never recovered while it
    # lasted. Over budget: recovered, but later or at a higher cost than its tier's budget.
    spofs = [r["services"][0] for r in singles if any(p["never_recovered"] for p in r["probes"].values())]
    over = [{"service": r["services"][0], "reasons": r["reasons"]} for r in singles
            if r["verdict"] == "fail" and r["services"][0] not in spofs]
    return {"run_id": journal.run_id, "machine": journal.machine.model_dump(), "singles": singles,
            "doubles": doubles, "single_points_of_failure": spofs, "over_budget": over,
            "services_swept": sorted({r["services"][0] for r in singles}),
            "services_missing": [n for n in topology.ALL_SERVICES if n not in {r["services"][0] for r in singles}]}


def write(journal_path: Path) -> tuple[Path, dict]:
    """Summarises the journal into sweep.json beside it: the sweep's own document, which the
    tables below read."""
    summary = summarise(schema.load(journal_path))
    path = journal_path.parent / "sweep.json"
    path.write_text(json.dumps(summary, indent=1))
    return path, summary


def _cell(p: dict | None) -> str:
    if p is None:
        return "-"
    failover = "never" if p["never_recovered"] else f"{p['failover_s']:.1f}"
    lost = "" if p["lost"] in (None, 0) and not p["inconclusive"] else (
        ", lost ?" if p["inconclusive"] else f", lost {p['lost']}")
    return f"{failover} s / {p['failed']}{lost}"


def tables(summary: dict):
    from rich.table import Table

    single = Table(title="Every service alone: failover s / failed requests (lost writes) per probe",
                   title_justify="left")
    for column in ("service", "group", *PROBES, "verdict"):
        single.add_column(column, justify="left" if column in ("service", "group", "verdict") else "right", no_wrap=True)
    for r in summary["singles"]:
        label = r.get("verdict_label") or r["verdict"]
        verdict = f"[red]{label}[/]" if r["verdict"] != "pass" else f"[yellow]{label}[/]" if r.get("earlier_misses") else f"[green]{label}[/]"
        single.add_row(r["services"][0], r["group"] or "", *(_cell(r["probes"].get(p)) for p in PROBES), verdict)
    double = Table(title="The N+1 limit: two at once", title_justify="left")
    for column in ("scenario", "services", *PROBES, "recovered by itself"):
        double.add_column(column, justify="left" if column in ("scenario", "services") else "right", no_wrap=True)
    for r in summary["doubles"]:
        recovered = (f"[green]yes[/], {r['back_to_steady_s']:.0f} s after" if r["recovered_by_itself"] else "[red]no[/]")
        double.add_row(r["scenario"], "+".join(r["services"]), *(_cell(r["probes"].get(p)) for p in PROBES), recovered)
    return single, double


def verdict_lines(summary: dict) -> list[str]:
    lines = []
    if summary["single_points_of_failure"]:
        lines.append("single points of failure (clients never recovered while it was down): "
                     + ", ".join(summary["single_points_of_failure"]))
    for r in summary["over_budget"]:
        lines.append(f"over its tier's budget: {r['service']} ({'; '.join(r['reasons'])})")
    for r in summary["singles"]:
        if r["verdict"] == "pass" and r.get("earlier_misses"):
            lines.append(f"within budget only on a rerun: {r['services'][0]} ({'; '.join(r['earlier_misses'])})")
    if summary["singles"] and not summary["single_points_of_failure"] and not summary["over_budget"]:
        lines.append(f"no single point of failure: each of the {len(summary['singles'])} services failed alone "
                     "within its tier's budget")
    if summary["services_missing"]:
        lines.append(f"not swept: {', '.join(summary['services_missing'])}")
    stuck = [r["scenario"] for r in summary["doubles"] if not r["recovered_by_itself"]]
    if stuck:
        lines.append(f"did not come back by itself after the revert: {', '.join(stuck)} (make heal, then make status)")
    elif summary["doubles"]:
        lines.append(f"after each of the {len(summary['doubles'])} double failures the lab came back by itself")
    return lines
