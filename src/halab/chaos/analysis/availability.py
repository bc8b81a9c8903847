"""Availability from the lab's own numbers: the topology (which tiers are in series, how many
members of each may fail) and the failovers a game day measured, for an assumed failure rate.

Two things cost a tier availability:
  * **failovers**: every time a member whose loss clients feel fails (the VIP holder, the Patroni
    leader, any broker, since each leads partitions), clients see the failover the game day
    measured for that tier: failures per year x members that hand over x measured seconds;
  * **running out of members**: the tier is down while fewer than `needed` members are up. With a
    member down MTTR hours of every MTBF + MTTR, a member is unavailable u = MTTR / (MTBF + MTTR)
    of the time, and the tier is up with P(at least `needed` of n up) = sum over i >= needed of
    C(n, i) (1 - u)^i u^(n - i).
The service needs every tier (they are in series), so its availability is the product of theirs.
The same sums for one member per tier show what removing each single point of failure bought.

The journal is the only source of measurements; everything assumed (the failure rate, the repair
time, the SLO) is an input, printed beside the result.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from halab.chaos.journal.schema import Journal, Scenario
from halab.lab import tiers

YEAR_S = 365.25 * 24 * 3600
MONTH_S = 30 * 24 * 3600

# What a member costs, assumed: the lab restarts a container in seconds, but the machine it stands
# for fails a few times a year and a person brings it back within the hour.
DEFAULT_FAILURES_PER_YEAR = 4.0
DEFAULT_REPAIR_HOURS = 1.0
DEFAULT_SLO_PCT = 99.95
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Tier:
    name: str
    members: tuple[str, ...]
    needed: int  # members that must be up for the tier to serve
    pattern: str  # how the members share the work
    # Whose loss clients feel as a failover: (the game-day scenario that measured it, how many
    # members it stands for). The others' loss costs nothing (a backup, a replica, a follower).
    failovers: tuple[tuple[str, int], ...]

    @property
    def hand_over(self) -> int:
        return sum(count for _, count in self.failovers)


# Whose loss clients feel as a failover, per tier (`halab.lab.tiers`, in the order a request meets
# them): the scenario that measured it and how many members it stands for. Every broker leads
# partitions; one of them is also the KRaft controller, a longer failover. Sentinel's loss costs
# nothing: any one answers discovery.
FAILOVERS: dict[str, tuple[tuple[str, int], ...]] = {
    "edge": (("vip-holder-kill", 1),),
    "app": (("app-replica-kill", 3),),
    "postgres": (("pg-leader-kill", 1),),
    "etcd": (("etcd-member-kill", 1),),
    "redis": (("redis-master-kill", 1),),
    "kafka": (("kafka-leader-kill", 2), ("kafka-controller-kill", 1)),
}
TIERS = tuple(Tier(t.name, t.members, t.needed, t.pattern, FAILOVERS.get(t.name, ())) for t in tiers.TIERS.values())

# Recovery point and time per store: the scenario that kills its leader, and the probe that writes to it.
STORES = {"postgres": "pg-leader-kill", "redis": "redis-master-kill", "kafka": "kafka-leader-kill"}


@dataclass(frozen=True)
class Assumptions:
    failures_per_year: float = DEFAULT_FAILURES_PER_YEAR  # per member
    repair_hours: float = DEFAULT_REPAIR_HOURS
    slo_pct: float = DEFAULT_SLO_PCT
    window_days: float = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if not self.failures_per_year > 0:
            raise ValueError(f"failures per year must be above 0, not {self.failures_per_year}")
        if not self.repair_hours > 0:
            raise ValueError(f"repair hours must be above 0, not {self.repair_hours}")
        if not 0 < self.slo_pct < 100:
            raise ValueError(f"the SLO must be a percentage between 0 and 100 (e.g. 99.95), not {self.slo_pct}")
        if not self.window_days > 0:
            raise ValueError(f"the SLO window must be above 0 days, not {self.window_days}")

    @property
    def member_unavailability(self) -> float:
        mtbf_h = YEAR_S / 3600 / self.failures_per_year
        return self.repair_hours / (mtbf_h + self.repair_hours)


def at_least(needed: int, members: int, u: float) -> float:
    """P(at least `needed` of `members` independent members are up), each down a fraction u."""
    return sum(math.comb(members, i) * (1 - u) ** i * u ** (members - i) for i in range(needed, members + 1))


def nines(availability: float) -> float:
    return math.inf if availability >= 1 else -math.log10(1 - availability)


def _scenario(journal: Journal, name: str | None) -> Scenario | None:
    return next((s for s in journal.scenarios if s.name == name), None) if name else None


def _attempts(s: Scenario) -> list[Scenario]:
    """Every run of a scenario: the ones a rerun followed (`rerun_misses`) hurt clients too."""
    return [*s.earlier_attempts, s]


def _every_run(journal: Journal) -> list[Scenario]:
    return [a for s in journal.scenarios for a in _attempts(s)]


def _worst(values: list[float | None]) -> float | None:
    return math.inf if any(v is None for v in values) else max(values, default=None)


def _measured_failover(journal: Journal, name: str) -> float | None:
    """The scenario's judged failover, the worst of its runs; inf if one never recovered; None if
    it did not run."""
    s = _scenario(journal, name)
    if s is None or s.measures is None:
        return None
    return _worst([a.failover_s for a in _attempts(s) if a.measures is not None])


def tier_availability(tier: Tier, failovers: dict[str, float | None], a: Assumptions) -> dict:
    """`failovers`: the measured failover of each of the tier's scenarios (None: not measured)."""
    u = a.member_unavailability
    redundancy = at_least(tier.needed, len(tier.members), u)
    downtime, unmeasured = 0.0, []
    for name, count in tier.failovers:
        seconds = failovers.get(name)
        if seconds is None:  # no figure to multiply: listed as unmeasured, never counted as 0 silently
            unmeasured.append(name)
            continue
        # Never recovered: clients wait until the member is repaired.
        downtime += count * a.failures_per_year * (seconds if math.isfinite(seconds) else a.repair_hours * 3600)
    availability = redundancy - downtime / YEAR_S
    return {
        "tier": tier.name, "members": len(tier.members), "needed": tier.needed, "pattern": tier.pattern,
        "failovers": [{"scenario": n, "members": c, "failover_s": failovers.get(n)} for n, c in tier.failovers],
        "unmeasured": unmeasured, "failovers_per_year": tier.hand_over * a.failures_per_year,
        "failover_downtime_s_per_year": downtime if tier.failovers and len(unmeasured) < len(tier.failovers) else None,
        "exhaustion_downtime_s_per_year": (1 - redundancy) * YEAR_S,
        "availability": availability, "nines": nines(availability),
        "single_member_availability": 1 - u,
    }


def compute(journal: Journal, a: Assumptions = Assumptions()) -> dict:
    """Per tier and for the whole service, from the journal's failovers and the assumptions."""
    tiers = [tier_availability(t, {n: _measured_failover(journal, n) for n, _ in t.failovers}, a) for t in TIERS]
    service = math.prod(t["availability"] for t in tiers)
    single = math.prod(t["single_member_availability"] for t in tiers)
    budget_s = (1 - a.slo_pct / 100) * a.window_days * 24 * 3600
    return {
        "run_id": journal.run_id,
        "assumptions": {**asdict(a), "member_unavailability": a.member_unavailability},
        "tiers": tiers,
        "unmeasured": [f"{t['tier']} ({n})" for t in tiers for n in t["unmeasured"]],
        "service": _figures(service),
        "one_of_each": _figures(single),  # the same tiers with no redundancy: every member a SPOF
        "slo": {
            "target_pct": a.slo_pct, "window_days": a.window_days, "budget_s": budget_s,
            "expected_downtime_s": (1 - service) * a.window_days * 24 * 3600,
            "expected_budget_used": (1 - service) * a.window_days * 24 * 3600 / budget_s,
        },
        "gameday": gameday_cost(journal, budget_s, a.slo_pct),
        "stores": store_objectives(journal),
    }


def _figures(availability: float) -> dict:
    return {"availability": availability, "nines": nines(availability),
            "downtime_s_per_year": (1 - availability) * YEAR_S, "downtime_s_per_month": (1 - availability) * MONTH_S}


def gameday_cost(journal: Journal, budget_s: float, slo_pct: float) -> dict:
    """What the game day cost its HTTP clients: seconds of failover (the time-based SLO's view)
    and failed requests (the request-based one), against the error budget."""
    seconds, failed, total, never = 0.0, 0, 0, []
    for s in _every_run(journal):
        http = s.measures.probes.get("http") if s.measures else None
        if not http:
            continue
        failed += http.requests_failed
        total += http.requests_total
        if http.failover_s is None:
            never.append(s.name)
        else:
            seconds += http.failover_s
    failed_fraction = failed / total if total else None
    allowed = 1 - slo_pct / 100
    return {
        "http_failover_s": seconds, "budget_used": seconds / budget_s, "never_recovered": never,
        "http_failed": failed, "http_total": total, "failed_fraction": failed_fraction,
        # At the game day's failure rate, the request budget of (100 - SLO) % lasts this long.
        "burn_rate": failed_fraction / allowed if failed_fraction is not None else None,
    }


def store_objectives(journal: Journal) -> dict:
    """RTO: the failover its leader-kill scenario measured for the store's own probe. RPO: the
    acknowledged writes of that store lost in any scenario (None: a read-back was inconclusive)."""
    found = {}
    for store, name in STORES.items():
        s = _scenario(journal, name)
        probes = [p for a in (_attempts(s) if s else []) if a.measures and (p := a.measures.probes.get(store))]
        losses = [sc.writes[store].lost if store in sc.writes else 0 for sc in _every_run(journal) if sc.measures is not None]
        found[store] = {
            "scenario": name,
            # The worst run's: a miss that a rerun followed was a recovery time clients lived through.
            "rto_s": _worst([p.failover_s for p in probes]) if probes else None,
            "rpo_lost_writes": None if any(v is None for v in losses) else sum(losses),
            "measured": s is not None,
        }
    return found


# --- the view ------------------------------------------------------------------------------------

def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if math.isinf(seconds):
        return "never"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _pct(availability: float) -> str:
    return f"{availability * 100:.5f}%"


def print_availability(result: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    a = result["assumptions"]
    console.print(f"[bold]Availability[/] from game day {result['run_id']}: each member fails "
                  f"{a['failures_per_year']:g} times a year and is back in {a['repair_hours']:g} h "
                  f"(down {a['member_unavailability'] * 100:.3f} % of the time)")
    from rich import box

    # Downtime per year, from failovers and from too few members up: the two columns before the result.
    table = Table(box=box.SIMPLE_HEAD, caption="failovers, too few: seconds down a year from each")
    for column in ("tier", "needs", "failover", "×/yr", "failovers", "too few", "avail.", "nines"):
        table.add_column(column, justify="left" if column == "tier" else "right", no_wrap=True, min_width=len(column))
    for t in result["tiers"]:
        failover = " + ".join(("?" if f["failover_s"] is None else _duration(f["failover_s"])) + (f" ×{f['members']}" if f["members"] > 1 else "")
                              for f in t["failovers"]) or "-"
        table.add_row(t["tier"], f"{t['needed']} of {t['members']}", failover, f"{t['failovers_per_year']:g}",
                      _duration(t["failover_downtime_s_per_year"]), _duration(t["exhaustion_downtime_s_per_year"]),
                      _pct(t["availability"]), f"{t['nines']:.1f}")
    s, one = result["service"], result["one_of_each"]
    table.add_row("[bold]service[/]", "all", "", "", "", "", f"[bold]{_pct(s['availability'])}[/]", f"[bold]{s['nines']:.1f}[/]")
    console.print(table)
    console.print("Tiers are in series; within one: " + "; ".join(f"{t['tier']} {t['pattern']}" + (
        f" (failover from {', '.join(f['scenario'] for f in t['failovers'])})" if t["failovers"] else "")
        for t in result["tiers"]) + ".")
    console.print(f"The service: {s['nines']:.2f} nines, {_duration(s['downtime_s_per_year'])} down a year, "
                  f"{_duration(s['downtime_s_per_month'])} a month. With one member per tier (every one a "
                  f"single point of failure) it would be {one['nines']:.2f} nines, "
                  f"{_duration(one['downtime_s_per_year'])} a year.")
    if result["unmeasured"]:
        console.print(f"[yellow]Not in this game day, so their failovers are not counted:[/] {', '.join(result['unmeasured'])}")
    slo, g = result["slo"], result["gameday"]
    console.print(f"\n[bold]Error budget[/]: an SLO of {slo['target_pct']:g} % over {slo['window_days']:g} days "
                  f"allows {_duration(slo['budget_s'])} of downtime; the model above expects "
                  f"{_duration(slo['expected_downtime_s'])} in such a window ({slo['expected_budget_used'] * 100:.1f} % of it).")
    line = (f"This game day cost HTTP clients {_duration(g['http_failover_s'])} of failover: "
            f"{g['budget_used'] * 100:.1f} % of that budget")
    if g["never_recovered"]:
        line += f", plus {', '.join(g['never_recovered'])}, which never recovered"
    console.print(line + ".")
    if g["failed_fraction"] is not None:
        console.print(f"{g['http_failed']} of {g['http_total']} HTTP requests failed ({g['failed_fraction'] * 100:.3f} %): "
                      f"{g['burn_rate']:.1f}x the rate a {slo['target_pct']:g} % request SLO allows.")
    console.print("\n[bold]Recovery time and point per store[/] (RTO: the failover of its leader kill; "
                  "RPO: acknowledged writes lost in any scenario)")
    for store, o in result["stores"].items():
        rpo = ("inconclusive (a read-back failed)" if o["rpo_lost_writes"] is None else
               f"{o['rpo_lost_writes']} acknowledged writes lost")
        rto = _duration(o["rto_s"]) if o["measured"] else f"not measured ({o['scenario']} not in this game day)"
        console.print(f"  {store:<9} RTO {rto:<12} RPO {rpo}")
