"""`halab dashboard`: the live web dashboard (`make dashboard` runs it in the tools container)."""

from __future__ import annotations

import logging
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
@click.option("--reports", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Where journals and reports of the dashboard's faults go (and where `make chaos` publishes its progress).")
def dashboard(host: str, port: int, file: Path, reports: Path) -> None:
    """Serve the live dashboard: the lab's topology and roles, the running fault with its probes,
    fault buttons with their own deadlines, and a halt button."""
    import uvicorn

    from halab.chaos.gameday import load_gameday
    from halab.dashboard.app import create_app
    from halab.dashboard.catalogue import Catalogue
    from halab.dashboard.controller import FaultController
    from halab.dashboard.watch import LabWatcher

    try:
        catalogue = Catalogue(load_gameday(file))
    except LabError as e:
        raise click.ClickException(str(e)) from None
    for noisy in ("psycopg.pool", "kafka", "urllib3"):  # the probes' clients, as in `chaos run`
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    app = create_app(LabWatcher(), FaultController(catalogue, reports))
    click.echo(f"halab dashboard: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/ (faults from {file})")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
