"""What a journal entry says, in the words every view and analysis uses: seconds to one decimal,
"never" for a failover that never ended, "inconclusive" for a read-back that failed, the budget in
one line, the verdict with the run that decided it. One definition, so the table, the HTML
report, JUnit, the sweep and the bench say the same thing about the same entry."""

from __future__ import annotations

from halab.chaos.engine import predict
from halab.chaos.journal.schema import Budget, Scenario, Writes

STORES = ("postgres", "redis", "kafka", "http")


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def failover_label(s: Scenario) -> str:
    return "never recovered" if s.never_recovered else seconds(s.failover_s)


def lost_label(check: Writes | None) -> str:
    # lost is None when the read-back failed: any number may have been lost, so never show 0.
    return "-" if check is None else ("inconclusive" if check.lost is None else str(check.lost))


def lost_per_store(s: Scenario) -> str:
    """pg/rd/kf/http, as the tables head the column."""
    return "/".join(lost_label(s.writes.get(store)) for store in STORES)


def new_requests_label(s: Scenario) -> str:
    # Journals from before the send-side figure existed have none: show nothing, not "never".
    if not s.has_send_side_figure or not s.measured:
        return "-"
    return "never" if s.new_requests_ok_s is None else seconds(s.new_requests_ok_s)


def predicted_label(s: Scenario) -> str:
    return predict.label(s.failover_s, s.predicted_failover_s)


def target_label(s: Scenario, arrow: str = "→", control: str = "(control)") -> str:
    """What the scenario hit, as `role→service`, each fault of a double one joined by `+`."""
    if not s.target:
        return control
    services = s.services or [s.service]
    targets = [s.target, *(a["target"] for a in s.also)]
    return " + ".join(f"{t}{arrow}{services[i] if i < len(services) and services[i] else '?'}"
                      for i, t in enumerate(targets))


def budget_label(b: Budget) -> str:
    parts = []
    if b.max_failover_s is not None:
        whose = f" ({','.join(b.failover_of)})" if b.failover_of else ""
        parts.append(f"≤{b.max_failover_s:g} s{whose}")
    if b.max_failed_requests is not None:
        parts.append(f"≤{b.max_failed_requests} failed")
    if b.max_lost_writes:
        parts.append("lost " + ",".join(f"{k[:2]}≤{v}" for k, v in b.max_lost_writes.items()))
    return "; ".join(parts) or "-"


def earlier_misses(s: Scenario) -> list[str]:
    """One sentence per earlier attempt that missed its budget (`rerun_misses`), oldest first."""
    return [f"run {e.attempt} missed its budget: {'; '.join(e.reasons)}" for e in s.earlier_attempts]


def verdict_label(s: Scenario) -> str:
    """The verdict, and for one decided by a rerun, which run decided it: a pass on a rerun is not
    shown as a plain pass."""
    return s.verdict if s.attempt == 1 else f"{s.verdict} on run {s.attempt}"


def median(values: list[float | None]) -> float | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
