"""`halab dashboard`: the live web dashboard (`make dashboard` runs it in the tools container)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from halab.chaos.errors import LabError

DEFAULT_GAMEDAY = Path("gamedays/default.yaml")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the container listens on 0.0.0.0; compose publishes it to 127.0.0.1 only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8090, show_default=True)
@click.option("--file", "file", type=click.Path(path_type=Path), default=DEFAULT_GAMEDAY, show_default=True,
              help="The game day whose scenarios are the fault buttons.")
@click.option("--public-port", type=click.IntRange(1, 65535), default=None,
              help="The port browsers use, when it is not --port (compose publishes DASHBOARD_PORT to it). [default: --port]")
@click.option("--allow-host", "allow_hosts", envvar="HALAB_DASHBOARD_HOSTS", default="",
              help="Names or addresses besides 127.0.0.1, localhost and [::1] that browsers may use to reach it, "
                   "comma-separated (DASHBOARD_HOSTS: showing it to a room on purpose).")
@click.option("--reports", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Where journals and reports of the dashboard's faults go (and where `make chaos` publishes its progress).")
def dashboard(host: str, port: int, public_port: int | None, allow_hosts: str, file: Path, reports: Path) -> None:
    """Serve the live dashboard: the lab's topology and roles, the running fault with its probes,
    fault buttons with their own deadlines, and a halt button."""
    import uvicorn

    from halab.chaos.gameday import load_gameday
    from halab.dashboard.app import create_app
    from halab.dashboard.catalogue import Catalogue
    from halab.dashboard.controller import FaultController
    from halab.dashboard.guard import Guard, parse_hosts
    from halab.dashboard.watch import LabWatcher

    try:
        catalogue = Catalogue(load_gameday(file))
        guard = Guard(port=public_port or port, extra_hosts=parse_hosts(allow_hosts), listen_port=port)
    except LabError as e:
        raise click.ClickException(str(e)) from None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--allow-host") from None
    for noisy in ("psycopg.pool", "kafka", "urllib3"):  # the probes' clients, as in `chaos run`
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    app = create_app(LabWatcher(), FaultController(catalogue, reports), guard)
    # `make dashboard` reads these lines from the container's log: the token changes at each start.
    click.echo(f"halab dashboard: faults from {file}; allowed hosts: {', '.join(guard.hosts)}")
    for url in guard.urls():
        click.echo(f"halab dashboard url: {url}")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
