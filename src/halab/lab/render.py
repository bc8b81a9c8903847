"""Terminal views of the lab status, rendered from LabStatus (never gathered here)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from halab.lab import topology
from halab.lab.status import LabStatus

_STATE_STYLE = {"running": "green", "paused": "yellow", "exited": "red", "missing": "red", "dead": "red"}
_HEALTH_STYLE = {"healthy": "green", "starting": "yellow", "unhealthy": "red"}


def status_table(st: LabStatus) -> Table:
    table = Table(title=f"halab — VIP {topology.VIP}", title_justify="left")
    for col in ("service", "group", *(("node",) if topology.ON_SWARM else ()), "state", "health", "role"):
        table.add_column(col)
    for s in st.services:
        table.add_row(
            s.name,
            s.group,
            *((s.node or "-",) if topology.ON_SWARM else ()),
            f"[{_STATE_STYLE.get(s.state, 'white')}]{s.state}[/]",
            f"[{_HEALTH_STYLE.get(s.health or '', 'white')}]{s.health or '-'}[/]",
            s.role or "-",
        )
    return table


def print_status(st: LabStatus, console: Console | None = None) -> None:
    console = console or Console()
    console.print(status_table(st))
    leaders = ", ".join(f"p{p}→{b or 'none'}" for p, b in sorted(st.kafka.partition_leaders.items()))
    console.print(
        f"VIP holder: [bold]{st.vip_holder or 'none'}[/]   Patroni leader: [bold]{st.pg.leader or 'none'}[/]"
        f" (sync standby {st.pg.sync_standby or '[red]none[/]'})   Redis master: [bold]{st.redis.master or 'none'}[/]"
        f" (Sentinels agree: {'yes' if st.redis.agreed_master else '[red]no[/]'})   Kafka controller: "
        f"[bold]{st.kafka.controller or 'none'}[/]   {topology.KAFKA_TOPIC} leaders: {leaders or 'unknown'}"
    )
    if st.healthy:
        console.print("[green]healthy: every service is up and every role has exactly one holder[/]")
    else:
        console.print("[red]not healthy:[/]")
        for p in st.problems:
            console.print(f"  - {p}")
