"""A fault's own deadline: a watchdog container that runs `halab heal` when the fault has
outlived its duration, in case the controller that injected it is gone by then (killed with
SIGKILL, its terminal or browser closed, its container removed).

The controller arms a deadline before it injects and disarms it once its revert succeeded; a
controller that dies leaves the watchdog behind, which sleeps in its own container (not in any
process of the controller) and then undoes whatever the faults left (see `halab.chaos.engine.heal`).
`heal` is idempotent, so a watchdog that fires after all only finds nothing to do. Once a heal
has run, the watchdogs of dead controllers have nothing left to undo, and heal disarms them: armed
for minutes, one would otherwise fire into a later fault and undo it early (seen: a node frozen in
a game day thawed after 3 s of its 20, by the watchdog of a controller killed 5 minutes before).
"""

from __future__ import annotations

import math
import os
import shlex
import uuid

import docker

from halab.lab import topology

LABEL = "halab.deadline"
IMAGE = "halab/python"
# The host's Docker socket, as the compose file mounts it into the tools container.
DOCKER_SOCKET = "/var/run/docker.sock"
# A watchdog's own name, in its environment: its heal disarms every watchdog but itself.
SELF_ENV = "HALAB_DEADLINE_NAME"
# After the fault's duration, the controller's own revert has had this long before the watchdog
# steps in: a revert takes well under a second; a start of a killed container a few.
GRACE_S = 15.0


class Deadline:
    """An armed watchdog; `disarm()` removes it (idempotent, never raises)."""

    def __init__(self, client: docker.DockerClient, container_id: str | None) -> None:
        self.client, self.container_id = client, container_id

    def disarm(self) -> None:
        if self.container_id is None:
            return
        try:
            self.client.containers.get(self.container_id).remove(force=True)
        except docker.errors.DockerException:
            pass  # already gone (it fired, or `make down` removed it)
        self.container_id = None


def arm(client: docker.DockerClient, after_s: float, what: str, heal_command: str = "halab heal") -> Deadline:
    """Starts a watchdog on the engine `client` talks to that heals the lab `after_s` + GRACE_S seconds from now (`halab swarm
    heal` for node faults: the node containers run on the same engine)."""
    seconds = math.ceil(after_s + GRACE_S)
    name = f"halab-deadline-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k.startswith("HALAB_")} | {SELF_ENV: name}
    sockets = {DOCKER_SOCKET: {"bind": "/var/run/docker.sock", "mode": "rw"}}
    # On a Swarm's control node, also the socket of the engine that runs the nodes: heal powers on,
    # thaws and plugs back in what a game day's node faults left (halab.swarm.nodes).
    host = os.environ.get(topology.HOST_DOCKER_ENV, "")
    if host.startswith("unix://"):
        sockets[host.removeprefix("unix://")] = {"bind": host.removeprefix("unix://"), "mode": "rw"}
    container = client.containers.run(
        IMAGE,
        ["sh", "-c", f"sleep {seconds} && echo {shlex.quote(f'deadline of {what} reached: healing')} && exec {heal_command}"],
        name=name,
        detach=True,
        auto_remove=True,
        # heal talks to the Docker API only: this engine's socket, or on a Swarm the nodes' engines
        # at their LAN addresses, reached from the stack's overlay.
        **({"network": topology.NETWORK} if topology.ON_SWARM else {"network_mode": "none"}),
        environment=env,
        volumes=sockets,
        labels={LABEL: what[:200]},
    )
    return Deadline(client, container.id)


def disarm_others(client: docker.DockerClient) -> list[str]:
    """After a heal: removes every watchdog on this engine but the one that runs it, if any. One
    line per watchdog removed."""
    me = os.environ.get(SELF_ENV)
    removed = []
    for watchdog in client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
        if watchdog.name == me:
            continue
        try:
            watchdog.remove(force=True)
        except docker.errors.NotFound:
            continue  # it fired and removed itself meanwhile
        removed.append(f"disarmed the watchdog of {watchdog.labels.get(LABEL, 'a fault')}: nothing left for it to undo")
    return removed
