"""What `halab chaos validate` prints for a valid game day: its defaults, then one row per scenario
(fault, target with its params, budget)."""

from __future__ import annotations

from halab.chaos.engine.faults import FaultParams
from halab.chaos.gameday.models import Budget, GameDay, Scenario


def validate_command_output(gameday: GameDay) -> str:
    """What `make chaos-validate` prints for a valid game day."""
    d = gameday.defaults
    count = len(gameday.scenarios)
    lines = [
        f"{gameday.source}: valid game day '{gameday.title}', {count} scenario{'s' if count != 1 else ''}",
        f"defaults: fault {d.duration_s:g} s after a {d.baseline_s:g} s baseline; "
        f"HTTP {d.http_rate:g} req/s, {d.write_rate:g} writes/s per store; probes {', '.join(d.probes)}"
        + (f"; a scenario that only missed numeric budgets runs again, up to {d.rerun_misses}×" if d.rerun_misses else ""),
    ]
    rows = [(f"{i}.", s.name, s.fault, _target_text(s), _budget_text(s.budget))
            for i, s in enumerate(gameday.scenarios, 1)]
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[col]) for col, cell in enumerate(row[:4])) + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines)


def _target_text(scenario: Scenario) -> str:
    if scenario.target is None:
        return "(control: nothing injected)"
    # Each fault's params say what to show of them (the process, the peers, the delay...).
    note = scenario.params.note() if isinstance(scenario.params, FaultParams) else ""
    also = "".join(f" + {a.fault} {a.target}" + (a.params.note() if isinstance(a.params, FaultParams) else "")
                   for a in scenario.also)
    return str(scenario.target) + note + also


def _budget_text(budget: Budget) -> str:
    parts = []
    if budget.max_failover_s is not None:
        whose = f" ({', '.join(budget.failover_of)})" if budget.failover_of else ""
        parts.append(f"failover <= {budget.max_failover_s:g} s{whose}")
    if budget.max_failed_requests is not None:
        parts.append(f"failed requests <= {budget.max_failed_requests}")
    if budget.max_lost_writes:
        lost = ", ".join(f"{store} {n}" for store, n in budget.max_lost_writes.items())
        parts.append(f"lost writes <= {lost}")
    return "; ".join(parts) or "no limits (measured only)"
