"""The `halab` command: the lab's commands and the chaos controller's, assembled in one group.

It sits above both packages so that neither imports the other's command line: `lab` knows nothing
of `chaos`, and `chaos` uses `lab` only as a library.
"""

from __future__ import annotations

import click

import halab

from halab.chaos.cli import availability, bench, chaos, heal, sweep
from halab.dashboard.cli import dashboard
from halab.lab.cli import footprint, profile, service, settle, status
from halab.swarm.cli import swarm


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(halab.__version__, "--version", "-V", prog_name="halab")
def main() -> None:
    """halab: a local high-availability lab. See `make help` for the lab's lifecycle."""


for command in (status, settle, profile, footprint, service, chaos, bench, sweep, heal, availability, dashboard, swarm):
    main.add_command(command)
