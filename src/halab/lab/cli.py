"""The lab's commands (`halab status`, `settle`, `profile`, `footprint`): operator tools that run inside the
lab network. `halab.cli` assembles them with the chaos controller's into the `halab` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import click

from halab.lab.errors import LabError


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
    except LabError as e:
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
    except SteadyStateTimeout as e:
        click.echo(f"\nThe lab did not settle within {timeout_s:g} s. Still unmet:", err=True)
        for problem in e.still_wrong:
            click.echo(f"  - {problem}", err=True)
        echo_what_they_last_said(e.still_wrong)
        click.echo("Look again with `make status`; `make logs SERVICE=<name>` shows more.", err=True)
        sys.exit(1)
    except LabError as e:  # no Docker engine, say
        raise click.ClickException(str(e)) from None
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
    except (LabError, profiles.ProfileError) as e:
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
    except LabError as e:
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



@click.group()
def service() -> None:
    """The service in the app slots: check a service contract, or render it for compose
    (`make up SERVICE=path/to/service.yaml` does; docs/your-service.md)."""


def _load_contract(path: str, shown_as: str | None):
    from halab.lab import service as contracts

    try:
        return contracts.load(path, display_name=shown_as)
    except contracts.ContractError as e:
        raise click.ClickException(str(e)) from None


@service.command("check")
@click.argument("path")
@click.option("--shown-as", default=None, help="What messages call the file (its path on the host).")
def service_check(path: str, shown_as: str | None) -> None:
    """Validate a service contract; print what the lab will run and probe."""
    contract = _load_contract(path, shown_as)
    source = f"image {contract.image}" if contract.image else f"built from {contract.build}"
    click.echo(f"{shown_as or path}: valid service contract '{contract.name}', {contract.replicas} replicas, "
               f"{source}, port {contract.port}, health {contract.health}, ready {contract.ready_path}")
    write, read = contract.probe.write, contract.probe.read
    click.echo(f"  probe: {write.method} {write.path} (success {', '.join(map(str, write.success))}), "
               f"{contract.probe.writes_per_read} writes per GET {read.path}; read back from Postgres "
               f"database {contract.probe.readback.database}")


@service.command("compose")
@click.argument("path")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for compose.yml (the override) and build.env (what bin/lab builds).")
@click.option("--shown-as", default=None, help="What messages call the file (its path on the host).")
def service_compose(path: str, out_dir: str, shown_as: str | None) -> None:
    """Render a service contract as a compose override that runs it in app1..3."""
    from pathlib import Path

    import yaml

    from halab.lab import service as contracts

    contract = _load_contract(path, shown_as)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    header = f"# Rendered from {shown_as or path} by `halab service compose`; `make up` without APP removes it.\n"
    (out / "compose.yml").write_text(header + yaml.safe_dump(contracts.compose_override(contract), sort_keys=False,
                                                             width=1000))
    (out / "build.env").write_text(f"SERVICE_NAME={contract.name}\nSERVICE_IMAGE={contract.image_name}\n"
                                   f"SERVICE_BUILD={contract.build or ''}\n")
    click.echo(f"service '{contract.name}': {contract.image_name} in app1..3, port {contract.port}")


@click.command("home")
def home_command() -> None:
    """Print where the lab's files are (compose file, bin/lab, images, game days): the clone halab
    runs from, or, for a wheel installed elsewhere, the lab it carries, unpacked on first use.
    `cd "$(halab home)" && make up` starts the lab from anywhere."""
    from halab.lab import home

    try:
        click.echo(home.home())
    except home.NoLabHome as e:
        raise click.ClickException(str(e)) from None
