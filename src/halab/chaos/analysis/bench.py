"""`make bench`: each failover under the stock timers beside the tuned ones, from journals.

`bin/lab bench` starts the lab under one profile, runs gamedays/bench.yaml into
reports/bench/<id>/<profile>/<run-id>/journal.json, switches profile, and so on, round by round
(interleaved, so that a machine that slows down during the bench slows both alike). This module
reads those journals and nothing else, and writes reports/bench/<id>/bench.json; the table is
rendered from that file.

Per scenario and profile: the failover its budget judges (the journal's `failover_s`), median and
spread over the runs; a scenario that never recovered in any run has no median ("never"), as in
`halab chaos median`. Failed requests: median. Lost writes: the most any run lost, per store (a
failed read-back is inconclusive, never 0). Ratio: stock median / tuned median.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.table import Table

from halab.chaos.engine import predict
from halab.chaos.journal import schema
from halab.chaos.journal.facts import STORES, median
from halab.chaos.journal.schema import Scenario
from halab.chaos.journal.store import point_latest


class BenchError(RuntimeError):
    """The bench folder holds no journal to summarise."""


def _run(s: Scenario, run_id: str, knobs: dict) -> dict:
    # Journals from before predictions existed are predicted now, from the knobs they recorded.
    if "predicted_failover_s" in s.model_fields_set:
        predicted = s.predicted_failover_s.model_dump() if s.predicted_failover_s else None
    else:
        p = predict.predict(s.fault, s.target, knobs, process=s.params.get("process"), double=bool(s.also))
        predicted = p.to_json() if p else None
    return {
        "run_id": run_id,
        "predicted_failover_s": predicted,
        "failover_s": s.failover_s,
        "new_requests_ok_s": s.new_requests_ok_s,
        "longest_stall_s": s.longest_stall_s,
        "requests_failed": s.requests_failed,
        "lost": {store: w.lost for store, w in s.writes.items()},
        "role_change": s.role_change.model_dump() if s.role_change else None,
        "verdict": s.verdict,
    }


def _summary(runs: list[dict]) -> dict[str, Any]:
    measured = [r for r in runs if r["verdict"] != "skipped"]
    never = sum(1 for r in measured if r["failover_s"] is None)
    failovers = [r["failover_s"] for r in measured if r["failover_s"] is not None]
    lost: dict[str, int | str] = {}
    for store in STORES:
        values = [r["lost"][store] for r in measured if store in r["lost"]]
        if values:
            known = [v for v in values if v is not None]
            lost[store] = "inconclusive" if len(known) < len(values) else max(known)
    return {
        "runs": runs,
        "measured": len(measured),
        "never_recovered": never,
        "median_failover_s": None if never or not failovers else round(median(failovers), 3),
        # The knobs are the same in every run of a profile: the first run's prediction stands for all.
        "predicted_failover_s": runs[0]["predicted_failover_s"] if runs else None,
        "spread_s": [min(failovers), max(failovers)] if failovers else None,
        "median_new_requests_ok_s": _round(median([r["new_requests_ok_s"] for r in measured])),
        "median_failed": median([r["requests_failed"] for r in measured if r["requests_failed"] is not None]),
        "lost_max": lost,
        "role_changes": sum(1 for r in measured if r["role_change"]),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def collect(bench_dir: Path) -> dict:
    """bench.json's content from the journals under `bench_dir`/<profile>/<run-id>/."""
    journals = sorted(p for p in bench_dir.glob("*/*/journal.json") if p.parent.name != "latest" and not p.parent.is_symlink())
    if not journals:
        raise BenchError(f"no journals under {bench_dir}/<profile>/<run-id>/journal.json: was the bench run?")
    by_scenario: dict[str, dict[str, list[dict]]] = {}
    profiles: dict[str, dict] = {}
    machine, order = None, []
    for path in journals:
        journal = schema.load(path)
        # The profile the services really ran with (read from their environment), else the folder's.
        profile = journal.profile or path.parent.parent.name
        profiles.setdefault(profile, {"knobs": journal.knobs, "runs": 0})["runs"] += 1
        machine = machine or journal.machine.model_dump()
        for scenario in journal.scenarios:
            if scenario.name not in order:
                order.append(scenario.name)
            by_scenario.setdefault(scenario.name, {}).setdefault(profile, []).append(_run(scenario, journal.run_id, journal.knobs))
    rows = []
    for name in order:
        row: dict[str, Any] = {"scenario": name}
        for profile, runs in by_scenario[name].items():
            row[profile] = _summary(runs)
        stock, tuned = (row.get(p, {}).get("median_failover_s") for p in ("stock", "tuned"))
        row["ratio"] = round(stock / tuned, 1) if stock is not None and tuned else None
        rows.append(row)
    return {"bench_id": bench_dir.name, "machine": machine, "profiles": profiles, "scenarios": rows}


def write(bench_dir: Path) -> tuple[Path, dict]:
    bench = collect(bench_dir)
    path = bench_dir / "bench.json"
    path.write_text(json.dumps(bench, indent=1))
    point_latest(bench_dir.parent, bench_dir.name)
    return path, bench


def _failover(summary: dict | None) -> str:
    if not summary:
        return "-"
    if summary["never_recovered"]:
        return f"never ({summary['never_recovered']} of {summary['measured']})"
    if summary["median_failover_s"] is None:
        return "-"
    low, high = summary["spread_s"]
    spread = f" ({low:.1f}-{high:.1f})" if summary["measured"] > 1 else ""
    return f"{summary['median_failover_s']:.1f}{spread}"


def _predicted(summary: dict | None) -> str:
    summary = summary or {}
    predicted = summary.get("predicted_failover_s")
    return predict.label(summary.get("median_failover_s"), schema.Prediction.model_validate(predicted) if predicted else None)


def _lost(summary: dict | None) -> str:
    if not summary or not summary["lost_max"]:
        return "-"
    return "/".join(str(summary["lost_max"].get(store, "-")) for store in STORES)


def table(bench: dict) -> Table:
    """The stock/tuned table, rendered from bench.json."""
    profiles = [p for p in ("stock", "tuned") if p in bench["profiles"]] + \
               sorted(p for p in bench["profiles"] if p not in ("stock", "tuned"))
    runs = ", ".join(f"{p} ×{bench['profiles'][p]['runs']}" for p in profiles)
    m = bench.get("machine") or {}
    t = Table(title=f"bench {bench['bench_id']}: {runs} — {m.get('cpus')} CPUs, {m.get('memory_gib')} GiB, "
                    f"{m.get('cpu_model') or m.get('platform')}", title_justify="left")
    t.add_column("scenario")
    for p in profiles:
        t.add_column(f"{p} failover s (min-max)", justify="right")
        t.add_column(f"{p} predicted s", justify="right")
        t.add_column(f"{p} failed", justify="right")
        t.add_column(f"{p} lost pg/rd/kf/http", justify="center")
    t.add_column("stock/tuned", justify="right")
    for row in bench["scenarios"]:
        cells = [row["scenario"]]
        for p in profiles:
            s = row.get(p)
            cells += [_failover(s), _predicted(s), "-" if not s or s["median_failed"] is None else f"{s['median_failed']:.0f}", _lost(s)]
        cells.append("-" if row["ratio"] is None else f"{row['ratio']:g}×")
        t.add_row(*cells)
    return t
