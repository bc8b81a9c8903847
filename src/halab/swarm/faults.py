"""Faults on a whole Swarm node: the machine dies, freezes, or loses its network cable, with
every task on it. Each acts on the node's container on this machine's engine, as the host of a
VM would, so it needs nothing from the node itself and can always be undone from outside.

Like every halab fault, a node fault is built for one target, injected once and reverted at least
once (idempotent, safe when inject never ran); `heal` undoes whatever one left behind when its
controller died, and a watchdog container (`halab.lab.deadline`) runs it when a fault outlives
its duration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from halab.lab import containers, deadline, topology
from halab.lab.containers import pause_retrying, start_if_down, unpause_if_paused
from halab.swarm.nodes import LAN, STACK, Node, Swarm, SwarmError


class NodeFault(ABC):
    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, swarm: Swarm, node: Node) -> None:
        self.swarm, self.node = swarm, node

    @abstractmethod
    def inject(self) -> None: ...

    @abstractmethod
    def revert(self) -> None: ...

    def describe(self) -> str:
        return f"{self.name} {self.node.name}"


class NodeKill(NodeFault):
    """Power off: the node's container is SIGKILLed, its engine and every task on it die at once
    and its peers hear nothing. The revert powers it on; its engine starts Swarm's tasks again."""

    name = "node-kill"
    description = "the node dies with everything on it"

    def inject(self) -> None:
        self.node.container.kill(signal="SIGKILL")

    def revert(self) -> None:
        _power_on(self.node)


class NodePause(NodeFault):
    """A frozen machine: every process on the node stops (cgroup freezer), its sockets stay open
    and its address answers ARP, but nothing on it answers."""

    name = "node-pause"
    description = "the node freezes: its sockets stay open, nothing answers"

    def inject(self) -> None:
        pause_retrying(self.node.container, self.node.name)

    def revert(self) -> None:
        unpause_if_paused(self.node.container, self.node.name)


class NodePartition(NodeFault):
    """The node's cable is pulled: it leaves the LAN, so it can reach no other node and no node
    reaches it; it keeps running, and thinks the others are gone. The revert plugs it back in at
    its own address, which its Swarm peers know it by. Docker plugs it back in as a new interface
    (eth0 becomes eth1, eth2...) where a real machine's would keep its name, so the load balancer
    on the node, whose keepalived was bound to the interface that left, is restarted to find the
    new one by its address (images/lb/entrypoint.sh); without that it stayed down for good."""

    name = "node-partition"
    description = "the node is cut off from the LAN and keeps running"

    def inject(self) -> None:
        self.swarm.lan().disconnect(self.node.container, force=True)

    def revert(self) -> None:
        _reconnect(self.swarm, self.node)


def _power_on(node: Node) -> str | None:
    # A killed node that was frozen first comes back by a thaw, not a start.
    return unpause_if_paused(node.container, node.name) or start_if_down(node.container, node.name)


def _reconnect(swarm: Swarm, node: Node) -> str | None:
    node.container.reload()
    if LAN in node.container.attrs["NetworkSettings"]["Networks"]:
        return None
    swarm.lan().connect(node.container, ipv4_address=node.address)
    restarted = _restart_load_balancers(node)
    return f"reconnected {node.name} to the LAN at {node.address}" + (
        f"; restarted {', '.join(restarted)} on its new interface" if restarted else "")


def _restart_load_balancers(node: Node) -> list[str]:
    """Kills the load balancer tasks on the node, through its container on this machine's engine;
    Swarm starts them again (its restart policy). The names of those it killed. A node whose
    engine is not up yet (just powered on) runs none: its tasks will start on the new interface."""
    script = (f"set -e; echo killed:; docker info >/dev/null 2>&1 || exit 0; for lb in {' '.join(topology.LBS)}; do "
              f"ids=$(docker ps -q --filter label=com.docker.swarm.service.name={STACK}_$lb); "
              'if [ -n "$ids" ]; then docker kill $ids >/dev/null; echo "$lb"; fi; done')
    code, out = containers.exec_text(node.container, ["sh", "-c", script])
    if code != 0:
        raise SwarmError(f"{node.name} is back on the LAN, but its load balancers could not be restarted "
                         f"(exit {code}): {' '.join(out.split())[-300:]}")
    return out.split()[1:]


NODE_FAULTS: dict[str, type[NodeFault]] = {f.name: f for f in (NodeKill, NodePause, NodePartition)}


def heal(swarm: Swarm) -> list[str]:
    """Undoes every node fault left behind, in the order a node needs: powered on and thawed
    before it can be plugged back in. One line per repair; nothing on a healthy Swarm."""
    actions = []
    for node in swarm.nodes().values():
        actions += [done for done in (_power_on(node), _reconnect(swarm, node)) if done]
    return actions + deadline.disarm_others(swarm.client)
