"""Faults on a container's lifecycle: kill, stop, pause, restart.

A killed or stopped node comes back on revert, so the scenario also measures its return
(a rejoining primary, a returning VRRP node).
"""

from __future__ import annotations

from docker.models.containers import Container

from halab.chaos.engine.faults.base import Fault
from halab.chaos.engine.faults.leftovers import ContainerLeftover
from halab.chaos.engine.handle import Lab
from halab.lab import topology
from halab.lab.containers import pause_retrying, start_if_down, unpause_if_paused

# Seconds a stopped service gets to shut down cleanly (gunicorn drains, Patroni hands over).
STOP_GRACE_S = 10


def _start(lab: Lab, service: str, ct: Container) -> str | None:
    return start_if_down(ct, service)


def _unpause(lab: Lab, service: str, ct: Container) -> str | None:
    return unpause_if_paused(ct, service)


# The container must run again before its network or namespace can be repaired: stage 0.
STOPPED = ContainerLeftover(stage=0, undo=_start)
PAUSED = ContainerLeftover(stage=0, undo=_unpause)


class _TakesItDown(Fault):
    """A fault that takes the container down; the revert makes sure it runs again."""

    leftovers = (STOPPED,)

    def revert(self) -> None:
        if topology.ON_SWARM:
            self.lab.let_up(self.service)  # if it was held down: Swarm starts a new task on its node
            return
        ct = self.lab.container(self.service)
        ct.reload()
        if ct.status == "paused":
            ct.unpause()
        elif ct.status != "running":
            ct.start()


# On a Swarm, a killed load balancer is restarted by Swarm at once rather than held down. It runs
# on its node's own network, and the VIP keepalived put on the node's interface outlives a
# keepalived killed with SIGKILL (acassen/keepalived#2361): held down, its node went on answering
# ARP for the VIP, where nothing listened, until the revert (vip-holder-kill took 5-11 s there,
# against 2-3 s on one engine). A machine's init system restarts a killed keepalived, which takes
# the stale address off as it starts as the backup; Swarm is that init system here. The other
# load balancer has taken the VIP by then (VRRP's 3 missed adverts come before Swarm's 1 s restart
# delay), so the failover is the one on one engine, where the address goes with the container.
RESTARTED_AT_ONCE_ON_SWARM = tuple(topology.LBS)


class Kill(_TakesItDown):
    """SIGKILL the container: every process in it dies at once, no goodbye to peers."""

    name = "kill"
    takes_out = True

    def inject(self) -> None:
        self.lab.container(self.service).kill(signal="SIGKILL")
        if self.service not in RESTARTED_AT_ONCE_ON_SWARM:
            self.lab.hold_down(self.service)


class Stop(_TakesItDown):
    """Graceful stop (SIGTERM, then SIGKILL after the grace period): a planned shutdown."""

    name = "stop"
    takes_out = True

    def inject(self) -> None:
        self.lab.container(self.service).stop(timeout=STOP_GRACE_S)
        self.lab.hold_down(self.service)


class Pause(Fault):
    """Freeze every process (cgroup freezer): the gray failure. Peers see a node that accepts
    TCP connections at the kernel level but never answers."""

    name = "pause"
    takes_out = True
    leftovers = (PAUSED,)

    def inject(self) -> None:
        pause_retrying(self.lab.container(self.service), self.service)

    def revert(self) -> None:
        unpause_if_paused(self.lab.container(self.service), self.service)


class Restart(_TakesItDown):
    """Graceful restart: stop then start at once. The revert only makes sure it runs."""

    name = "restart"

    def inject(self) -> None:
        self.lab.container(self.service).restart(timeout=STOP_GRACE_S)
