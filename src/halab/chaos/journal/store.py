"""The run's journal, built from the runner's results as `halab.chaos.journal.schema` defines it
and stored as reports/<run-id>/journal.json, with reports/latest pointing at the newest run's
folder: the source of truth every view is rendered from.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from halab.chaos.engine import measure, predict
from halab.chaos.gameday.progress import ScenarioResult
from halab.chaos.journal import schema
from halab.chaos.journal.schema import RECORD_FIELDS  # noqa: F401 - the views' name for it

# `gameday_file` of a fault injected from the dashboard: this prefix, then the request as JSON.
FROM_DASHBOARD = "dashboard request "


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def machine() -> schema.Machine:
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        mem_gib = None
    return schema.Machine(hostname=socket.gethostname(), platform=platform.platform(), cpus=os.cpu_count(),
                          memory_gib=mem_gib, cpu_model=_cpu_model())


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _budget_json(budget) -> dict:
    return {
        "max_failover_s": budget.max_failover_s,
        "failover_of": list(budget.failover_of) if budget.failover_of else None,
        "max_failed_requests": budget.max_failed_requests,
        "max_lost_writes": dict(budget.max_lost_writes or {}),
        "counts_return_disruption": budget.counts_return_disruption,
    }


def scenario_json(r: ScenarioResult) -> schema.Scenario:
    m = r.measures
    writes = {}
    if m:
        for name, pm in m.probes.items():
            if pm.writes is not None:
                w = pm.writes
                writes[w.store] = {"ok": w.ok, "lost": w.lost, "unexpected": w.unexpected, "recovered": w.recovered,
                                   "unknown": w.unknown, "acknowledged": w.acknowledged, "attempted": w.attempted,
                                   "duplicates": w.duplicates, "read_error": w.read_error}
    return schema.Scenario(
        name=r.scenario.name,
        description=r.scenario.description,
        fault=r.scenario.fault,
        target=str(r.scenario.target) if r.scenario.target else None,
        params=r.scenario.model_dump(mode="json").get("params") or {},
        # The faults injected beside the scenario's own (a double fault), and every service hit.
        also=r.scenario.model_dump(mode="json").get("also") or [],
        service=r.service,
        services=r.services or ([r.service] if r.service and r.service != "-" else []),
        fault_description=r.fault_description,
        started_at=r.started_at,
        verdict=r.verdict,
        reasons=r.reasons,
        revert_error=r.revert_error,  # the fault's revert raised: the lab may have been left broken
        budget=_budget_json(r.scenario.budget),
        # The failover the budget judges (of the probes it names); the worst probe's beside it.
        failover_s=_round(measure.judged_failover(m, r.scenario.budget.failover_of or ())) if m else None,
        failover_worst_s=_round(m.failover_s) if m else None,
        # Send side: when requests sent anew were all served in time again (same probes).
        new_requests_ok_s=_round(measure.judged_new_requests_ok(m, r.scenario.budget.failover_of or ())) if m else None,
        longest_stall_s=_longest_stall(m),
        requests_total=m.requests_total if m else 0,
        requests_failed=m.requests_failed if m else 0,
        writes=writes,
        return_disruption=m.return_disruption.to_json() if m and m.return_disruption else None,
        role_change=asdict(r.role_change) if r.role_change else None,
        steady_before_s=_round(r.steady_before_s),
        back_to_steady_s=_round(r.back_to_steady_s),
        recovery_blockers=r.recovery_blockers,
        recovery_logs=r.recovery_logs,
        window=asdict(r.window) if r.window else None,
        measures=m.to_json() if m else None,
        records={
            t.probe: [[round(q.t_send, 4), round(q.latency, 4), q.outcome, q.status, q.seq, q.replica, q.lb, q.detail,
                       round(q.queued_s, 4)]
                      for q in sorted(t.requests, key=lambda q: q.t_send)]
            for t in r.timelines
        },
        probe_rates={t.probe: t.rate for t in r.timelines},
        # `rerun_misses`: the attempts before this one, each of which missed only numeric budgets,
        # whole (records too), oldest first. This entry is the attempt that decided the verdict.
        attempt=r.attempt,
        earlier_attempts=[scenario_json(e) for e in r.earlier_attempts],
    )


def scenario_entry(r: ScenarioResult, knobs: dict) -> schema.Scenario:
    """The scenario's journal entry, with what the knobs in force say its failover should be."""
    s = scenario_json(r)
    p = predict.predict(s.fault, s.target, knobs, process=s.params.get("process"), double=bool(s.also))
    return s.model_copy(update={"predicted_failover_s": schema.Prediction(**p.to_json()) if p else None,
                                "failover_vs_predicted": predict.explain(s.failover_s, p)})


def _longest_stall(m) -> float | None:
    stalls = [p.longest_stall_s for p in m.probes.values() if p.longest_stall_s is not None] if m else []
    return round(max(stalls), 3) if stalls else None


def build(*, run_id: str, title: str, file: str, started: datetime, status: str, knobs: dict,
          results: list[ScenarioResult], revert_error: str | None = None, t0_unix: float | None = None,
          app_service: schema.AppService | None = None) -> schema.Journal:
    """`revert_error`: the runner's `revert_failed`, also when the scenario it happened in was
    interrupted and so has no entry of its own."""
    scenarios = [scenario_entry(r, knobs) for r in results]
    return schema.Journal(
        schema_version=schema.SCHEMA_VERSION,
        run_id=run_id,
        title=title,
        gameday_file=file,
        start=started.isoformat(),
        end=datetime.now(timezone.utc).isoformat(),
        status=status,
        revert_failed=revert_error is not None,
        revert_error=revert_error,
        machine=machine(),
        app_service=app_service or schema.AppService(),
        clock=schema.Clock(t0_unix=t0_unix),
        knobs=knobs,
        record_fields=RECORD_FIELDS,
        summary=schema.Summary(passed=sum(1 for s in scenarios if s.verdict == "pass"),
                               fail=sum(1 for s in scenarios if s.verdict == "fail"),
                               skipped=sum(1 for s in scenarios if s.verdict == "skipped"),
                               passed_on_rerun=sum(1 for s in scenarios if s.verdict == "pass" and s.earlier_attempts)),
        scenarios=scenarios,
    )


def write(journal: schema.Journal, reports_dir: Path) -> Path:
    run_dir = reports_dir / journal.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "journal.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(journal.dump(), indent=1))
    tmp.replace(path)
    point_latest(reports_dir, journal.run_id)
    return path


def point_latest(folder: Path, name: str) -> None:
    """Make `folder`/latest a link to `folder`/`name`, replacing the old link atomically. Relative,
    so the link also resolves on the host that mounts reports/."""
    tmp_link = folder / ".latest.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(name)
    tmp_link.replace(folder / "latest")
