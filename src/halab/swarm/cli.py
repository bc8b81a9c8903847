"""`halab swarm`: node faults and their heal on a Swarm from `make up ENGINE=swarm` (bin/swarm
runs these in the lab's Python image, on the Swarm's LAN, with this machine's Docker socket)."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
import docker

from halab.lab import deadline
from halab.lab.errors import FaultError
from halab.swarm.faults import NODE_FAULTS
from halab.swarm.faults import heal as heal_nodes
from halab.swarm.nodes import ROLE_TARGETS, Swarm, SwarmError

HEAL_COMMAND = "halab swarm heal"


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _connect() -> Swarm:
    try:
        swarm = Swarm.connect()
        swarm.nodes()
    except docker.errors.DockerException as e:
        _fail(f"cannot reach this machine's Docker engine: {e}")
    except SwarmError as e:
        _fail(str(e))
    return swarm


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """`docker stop` of the controller's container reverts the fault as Ctrl-C does."""
    def interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group()
def swarm() -> None:
    """Whole-node faults on the Swarm (make up ENGINE=swarm): a node dies, freezes or is cut off."""


@swarm.command(help=f"""Inject KIND on the node TARGET (node1, node2, ... or the node of a role: {", ".join(ROLE_TARGETS)}),
hold it for --for seconds, revert it. A watchdog heals it if this command dies first; Ctrl-C reverts at once.""")
@click.argument("kind", type=click.Choice(list(NODE_FAULTS)))
@click.argument("target")
@click.option("--for", "duration_s", type=click.FloatRange(min=1, max=600), default=20.0, show_default=True,
              help="Seconds the fault stays in before it is reverted.")
def fault(kind: str, target: str, duration_s: float) -> None:
    swarm = _connect()
    try:
        node = swarm.node_of(target)
    except SwarmError as e:
        _fail(str(e))
    except docker.errors.DockerException as e:  # a node's engine went away while it was asked
        _fail(f"could not find the node of '{target}': {e}")
    injected = NODE_FAULTS[kind](swarm, node)
    watchdog = deadline.arm(swarm.client, duration_s, injected.describe(), heal_command=HEAL_COMMAND)
    started, failed = time.monotonic(), False
    try:
        with _sigterm_as_interrupt():
            injected.inject()
            click.echo(f"[{time.monotonic() - started:5.1f} s] injected {injected.describe()} ({target}): {injected.description}")
            time.sleep(duration_s)
    except KeyboardInterrupt:
        click.echo("interrupted: reverting now")
    except (docker.errors.DockerException, FaultError, SwarmError) as e:
        click.echo(f"error: could not inject {injected.describe()}: {e}; reverting", err=True)
        failed = True
    finally:
        try:
            injected.revert()
        except (docker.errors.DockerException, FaultError, SwarmError) as e:
            _fail(f"could not revert {injected.describe()}: {e}; run 'make heal ENGINE=swarm' (the watchdog will too)")
        watchdog.disarm()
    click.echo(f"[{time.monotonic() - started:5.1f} s] reverted {injected.describe()}")
    if failed:
        sys.exit(1)


@swarm.command()
def heal() -> None:
    """Undo any node fault left behind: power on, thaw, plug back into the LAN. Changes nothing on
    a healthy Swarm."""
    try:
        actions = heal_nodes(_connect())
    except (docker.errors.DockerException, SwarmError) as e:
        _fail(str(e))
    for line in actions:
        click.echo(line)
    click.echo("nothing to heal: no node fault left behind" if not actions else f"healed {len(actions)} thing(s)")
