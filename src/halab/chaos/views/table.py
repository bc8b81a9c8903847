"""The end-of-run table, rendered from the journal (not from live objects), so a journal from
CI renders the same table later: `halab chaos report reports/latest/journal.json`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from halab.chaos.journal.facts import (
    STORES,
    budget_label,
    earlier_misses,
    failover_label,
    lost_per_store,
    median,
    new_requests_label,
    predicted_label,
    seconds,
    target_label,
    verdict_label,
)
from halab.chaos.journal.schema import Journal, Scenario

# An injection slower than this is worth a line under the table.
SLOW_INJECT_S = 0.5
_VERDICT_STYLE = {"pass": "green", "fail": "bold red", "skipped": "yellow"}


def results_table(journal: Journal) -> Table:
    service = "" if journal.app_service.is_halabs else f" — service {journal.app_service}"
    table = Table(title=f"{journal.title} — run {journal.run_id}{service}", title_justify="left")
    for col, justify in (("scenario", "left"), ("target", "left"), ("failover s", "right"), ("predicted s", "right"),
                         ("new req s", "right"),
                         ("stall s", "right"),
                         ("failed req", "right"),
                         ("lost pg/rd/kf/http", "center"), ("return", "right"), ("steady s", "right"),
                         ("budget", "left"), ("verdict", "left")):
        table.add_column(col, justify=justify)
    for s in journal.scenarios:
        rd = s.return_disruption
        ret = f"{rd.failed} failed" if rd and rd.failed else "-"
        failed = f"{s.requests_failed}/{s.requests_total}" if s.requests_total else "-"
        table.add_row(
            s.name, target_label(s), failover_label(s), predicted_label(s), new_requests_label(s),
            seconds(s.longest_stall_s), failed, lost_per_store(s), ret,
            seconds(s.back_to_steady_s), budget_label(s.budget),
            f"[{'yellow' if s.earlier_attempts else _VERDICT_STYLE.get(s.verdict, 'white')}]{verdict_label(s)}[/]",
        )
    return table


def print_report(journal: Journal, console: Console | None = None) -> None:
    console = console or Console()
    if not console.is_terminal:
        # CI logs and pipes: a width that fits the table instead of the 80-column default.
        console = Console(width=170)
    console.print(results_table(journal))
    for s in journal.scenarios:
        if s.reasons or s.earlier_attempts:
            console.print(f"[bold]{s.name}[/] ({verdict_label(s)}):")
            for line in earlier_misses(s):
                console.print(f"  - [yellow]{line}[/]")
            for reason in s.reasons:
                console.print(f"  - {reason}")
        w = s.window
        if w and w.inject_returned_at is not None and w.inject_returned_at - w.injected_at > SLOW_INJECT_S:
            console.print(f"[yellow]{s.name}: the fault took {w.inject_returned_at - w.injected_at:.1f} s to inject "
                          "(a busy Docker engine); its failover counts from the moment it was asked for[/]")
        if s.failover_vs_predicted:
            console.print(f"[yellow]{s.name}: {s.failover_vs_predicted}[/]")
        rc = s.role_change
        if rc and rc.new_holder and s.window:
            console.print(f"[dim]{s.name}: {rc.role} moved {rc.old_holder} → {rc.new_holder}"
                          f" (seen {rc.first_seen_at - s.window.injected_at:.1f} s after the fault)[/]")
    summary, m = journal.summary, journal.machine
    reruns = summary.passed_on_rerun
    console.print(
        f"{summary.passed} passed{f' ({reruns} only on a rerun)' if reruns else ''}, {summary.fail} failed, {summary.skipped} skipped"
        f"  —  {m.cpus} CPUs, {m.memory_gib} GiB, {m.cpu_model or m.platform}"
    )


def _median_failover(runs: list[Scenario]) -> str:
    """The median failover; runs that never recovered have no number to take it over."""
    measured = [r for r in runs if r.measured]
    never = sum(1 for r in measured if r.never_recovered)
    if never:
        return f"never recovered ({never} of {len(measured)})"
    return seconds(median([r.failover_s for r in measured]))


def _median_new_requests(runs: list[Scenario]) -> str:
    measured = [r for r in runs if r.measured and r.has_send_side_figure]
    never = sum(1 for r in measured if r.new_requests_ok_s is None)
    if never:
        return f"never ({never} of {len(measured)})"
    return seconds(median([r.new_requests_ok_s for r in measured]))


def _max_lost(runs: list[Scenario], store: str) -> str:
    """The most writes any run lost; a run whose read-back failed could have lost more."""
    checks = [r.writes[store] for r in runs if r.writes.get(store) is not None]
    if not checks:
        return "-"
    worst = max((c.lost for c in checks if c.lost is not None), default=0)
    if any(c.lost is None for c in checks):
        return f"≥{worst}, inconclusive" if worst else "inconclusive"
    return str(worst)


def medians_table(journals: list[Journal]) -> Table:
    """Per scenario, the median over several runs: one run's numbers are one sample."""
    table = Table(title=f"median of {len(journals)} runs ({', '.join(j.run_id for j in journals)})", title_justify="left")
    for col, justify in (("scenario", "left"), ("failover s", "right"), ("new req s", "right"), ("stall s", "right"),
                         ("failed req", "right"),
                         ("lost pg/rd/kf/http (max)", "center"), ("steady s", "right"), ("verdicts", "left")):
        table.add_column(col, justify=justify)
    for name in [s.name for s in journals[0].scenarios]:
        runs = [s for j in journals for s in j.scenarios if s.name == name]
        lost = "/".join(_max_lost(runs, st) for st in STORES)
        table.add_row(
            name, _median_failover(runs), _median_new_requests(runs), seconds(median([r.longest_stall_s for r in runs])),
            f"{median([r.requests_failed for r in runs]):.0f}",
            lost, seconds(median([r.back_to_steady_s for r in runs])), " ".join(r.verdict for r in runs),
        )
    return table
