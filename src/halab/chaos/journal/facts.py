"""What a journal entry says, in the words every view and analysis uses: seconds to one decimal,
"never" for a failover that never ended, "inconclusive" for a read-back that failed, the budget in
one line, the verdict with the run that decided it. One definition, so the table, the HTML
report, JUnit, the sweep and the bench say the same thing about the same entry."""

from __future__ import annotations

from halab.chaos.engine import predict

STORES = ("postgres", "redis", "kafka", "http")
def seconds(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def was_measured(s: dict) -> bool:
    # The journal writes measures: null when nothing was measured (skipped, or the fault never
    # injected); a scenario without the key at all is taken as measured.
    return "measures" not in s or s["measures"] is not None


def never_recovered(s: dict) -> bool:
    # A measured scenario without a failover never recovered; an unmeasured one has none at all.
    return s["failover_s"] is None and was_measured(s)


def lost_label(check: dict | None) -> str:
    # lost is None when the read-back failed: any number may have been lost, so never show 0.
    return "-" if check is None else ("inconclusive" if check["lost"] is None else str(check["lost"]))


def new_requests_label(s: dict) -> str:
    # Journals from before the send-side figure existed have no key: show nothing, not "never".
    if "new_requests_ok_s" not in s or not was_measured(s):
        return "-"
    return "never" if s["new_requests_ok_s"] is None else seconds(s["new_requests_ok_s"])


def predicted_label(s: dict) -> str:
    return predict.label(s.get("failover_s"), s.get("predicted_failover_s"))


def target_label(s: dict, arrow: str = "→", control: str = "(control)") -> str:
    """What the scenario hit, as `role→service`, each fault of a double one joined by `+`."""
    if not s.get("target"):
        return control
    services = s.get("services") or [s.get("service")]
    targets = [s["target"], *(a["target"] for a in s.get("also") or [])]
    return " + ".join(f"{t}{arrow}{services[i] if i < len(services) and services[i] else '?'}"
                      for i, t in enumerate(targets))


def budget_label(b: dict) -> str:
    parts = []
    if b.get("max_failover_s") is not None:
        whose = f" ({','.join(b['failover_of'])})" if b.get("failover_of") else ""
        parts.append(f"≤{b['max_failover_s']:g} s{whose}")
    if b.get("max_failed_requests") is not None:
        parts.append(f"≤{b['max_failed_requests']} failed")
    lost = b.get("max_lost_writes") or {}
    if lost:
        parts.append("lost " + ",".join(f"{k[:2]}≤{v}" for k, v in lost.items()))
    return "; ".join(parts) or "-"


def earlier_misses(s: dict) -> list[str]:
    """One sentence per earlier attempt that missed its budget (`rerun_misses`), oldest first."""
    return [f"run {e['attempt']} missed its budget: {'; '.join(e['reasons'])}" for e in s.get("earlier_attempts") or []]


def verdict_label(s: dict) -> str:
    """The verdict, and for one decided by a rerun, which run decided it: a pass on a rerun is not
    shown as a plain pass."""
    return s["verdict"] if s.get("attempt", 1) == 1 else f"{s['verdict']} on run {s['attempt']}"


def median(values: list[float]) -> float | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
