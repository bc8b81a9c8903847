"""The lab's commands (`halab status`, `settle`, `profile`, `footprint`): operator tools that run inside the
lab network. `halab.cli` assembles them with the chaos controller's into the `halab` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import click

from halab.lab import containers


def echo_what_they_last_said(problems: Iterable[str]) -> None:
    """The last distinct log lines of each service the problems concern: usually the reason."""
    from halab.lab import logs

    for service, lines in logs.tails(logs.services_concerned(problems)).items():
        click.echo(f"--- {service}, its last distinct log lines:", err=True)
        click.echo("\n".join(lines) or "(no output)", err=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys: vip_holder, pg_leader, ...).")
@click.option("--logs", "with_logs", is_flag=True,
              help="When not healthy, also print what each service concerned last logged.")
def status(as_json: bool, with_logs: bool) -> None:
    """Every service's state, health and current role. Exits 1 when the lab is not healthy."""
    from halab.lab.status import collect

    try:
        st = collect()
    except containers.DockerUnavailable as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(st.to_json(), indent=2))
    else:
        from halab.lab.render import print_status

        print_status(st)
    if with_logs and not st.healthy:
        echo_what_they_last_said(st.problems)
    sys.exit(0 if st.healthy else 1)


@click.command()
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=180, show_default=True,
              help="Seconds to wait for steady state.")
@click.option("--healthy-after", type=click.FloatRange(min=0), default=None,
              help="Seconds the containers took to become healthy, to print beside the time to settle.")
def settle(timeout_s: float, healthy_after: float | None) -> None:
    """Wait until the lab is in steady state (what every game-day scenario starts from), saying
    what it still waits for; then print the status. Exits 1 on a timeout, naming each unmet
    condition and the last log lines of the services concerned."""
    from halab.lab.render import print_status
    from halab.lab.settle import SteadyStateTimeout, settle as wait

    try:
        settled = wait(timeout_s, echo=click.echo)
    except containers.DockerUnavailable as e:
        raise click.ClickException(str(e)) from None
    except SteadyStateTimeout as e:
        click.echo(f"\nThe lab did not settle within {timeout_s:g} s. Still unmet:", err=True)
        for problem in e.still_wrong:
            click.echo(f"  - {problem}", err=True)
        echo_what_they_last_said(e.still_wrong)
        click.echo("Look again with `make status`; `make logs SERVICE=<name>` shows more.", err=True)
        sys.exit(1)
    print_status(settled.status)
    took = f"settled {settled.seconds:.1f} s after that" if healthy_after is not None else f"settled in {settled.seconds:.1f} s"
    healthy = f"containers healthy in {healthy_after:.0f} s, " if healthy_after is not None else ""
    total = f" ({healthy_after + settled.seconds:.0f} s in all)" if healthy_after is not None else ""
    click.echo(f"lab ready: {healthy}{took}{total}")


@click.command()
@click.option("--apply", "apply_it", is_flag=True,
              help="Also set the timers that outlive containers (Patroni's in etcd, Sentinel's own) to the profile's.")
def profile(apply_it: bool) -> None:
    """The failover profile the lab was started with (`make up PROFILE=tuned|stock`) and its knobs."""
    from halab.lab import profile as profiles

    try:
        found = profiles.in_force()
        if found.name == "mixed":
            raise profiles.ProfileError("the services were started with different profiles: run `make up PROFILE=<name>` again")
        changed = profiles.apply(found) if apply_it else {}
        sentinels = profiles.apply_sentinels(found) if apply_it else {}
    except (containers.DockerUnavailable, profiles.ProfileError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"profile: {found.name}")
    for var, value in sorted(found.knobs.items()):
        click.echo(f"  {var.removeprefix('HALAB_').lower():32} {value}")
    if changed:
        click.echo("applied to Patroni (PATCH /config): " + ", ".join(f"{k}={v}" for k, v in changed.items()))
    if sentinels:
        click.echo("applied to each Sentinel (SENTINEL SET): " + ", ".join(f"{k}={v}" for k, v in sentinels.items()))


@click.command()
def footprint() -> None:
    """Resident memory per container and in total, against the lab's 3 GiB budget."""
    from rich.console import Console
    from rich.table import Table

    from halab.lab.footprint import BUDGET_BYTES, measure

    try:
        uses = measure()
    except containers.DockerUnavailable as e:
        raise click.ClickException(str(e)) from None
    table = Table(title="resident memory")
    table.add_column("service")
    table.add_column("MiB", justify="right")
    for u in uses:
        table.add_row(u.service, f"{u.resident_bytes / 2**20:.0f}")
    total = sum(u.resident_bytes for u in uses)
    table.add_row("[bold]total[/]", f"[bold]{total / 2**20:.0f}[/]")
    Console().print(table)
    verdict = "within" if total <= BUDGET_BYTES else "OVER"
    click.echo(f"{total / 2**30:.2f} GiB resident for {len(uses)} containers: {verdict} the 3 GiB budget")
    sys.exit(0 if total <= BUDGET_BYTES else 1)

