"""Faults on a whole Swarm node, in a game day: the node that runs the target (the VIP holder's,
the Patroni leader's, `service:pg2`'s) dies, freezes or is cut off, with every member on it.

The node faults themselves are `halab.swarm.faults`' (one definition, also behind `make
node-fault`): they act on the node's container on the engine that runs the nodes, which the
controller reaches from the Swarm's control node (bin/swarm gives it that engine's socket). On
one engine there are no nodes, and on real machines no such socket: the scenario is skipped and
says why.
"""

from __future__ import annotations

import os
from typing import ClassVar

from halab.chaos.engine.faults.base import Fault, FaultUnavailable
from halab.chaos.engine.faults.leftovers import NodeLeftover
from halab.chaos.errors import FaultError
from halab.lab import containers, topology
from halab.swarm.faults import NODE_FAULTS, heal
from halab.swarm.nodes import HOST_DOCKER_ENV, Swarm, SwarmError


def _heal_nodes() -> list[str]:
    if not (topology.ON_SWARM and os.environ.get(HOST_DOCKER_ENV)):
        return []  # no nodes, or none this controller can reach
    return heal(Swarm.connect())


# A node off, frozen or unplugged: stage -1, a node must run before what is on it is repaired.
NODE_DOWN = NodeLeftover(stage=-1, undo=_heal_nodes)


class _OnItsNode(Fault):
    kind: ClassVar[str]  # the halab.swarm.faults fault it injects
    leftovers = (NODE_DOWN,)

    _injected = None  # the node fault, once the target's node is known

    def check_available(self) -> None:
        if not topology.ON_SWARM:
            raise FaultUnavailable(f"{self.name} acts on a Swarm node; on one engine there are none "
                                   "(make up ENGINE=swarm NODES=3, then make chaos ENGINE=swarm)")
        if not os.environ.get(HOST_DOCKER_ENV):
            raise FaultUnavailable(f"{self.name} needs the engine that runs the node containers ({HOST_DOCKER_ENV}, "
                                   "which bin/swarm gives the control node of its own nodes); real machines, "
                                   "NODES_FILE's, have no such engine")

    def describe(self) -> str:
        if self._injected is None:
            return f"{self.name} on the node of {self.service}"
        return f"{self.name} {self._injected.node.name} (the node of {self.service})"

    def inject(self) -> None:
        node_name = containers.node_of(self.lab.container(self.service))
        try:
            swarm = Swarm.connect()
            self._injected = NODE_FAULTS[self.kind](swarm, swarm.node(node_name or ""))
        except SwarmError as e:
            raise FaultError(f"cannot find the node of {self.service}: {e}") from e
        self._injected.inject()

    def revert(self) -> None:
        if self._injected is None:
            return  # never injected: nothing to undo
        try:
            self._injected.revert()
        except SwarmError as e:
            raise FaultError(str(e)) from e


class NodeKill(_OnItsNode):
    """The node that runs the target is powered off: every member on it dies at once."""

    name = "node-kill"
    kind = "node-kill"


class NodePause(_OnItsNode):
    """The node that runs the target freezes: its sockets stay open, nothing on it answers."""

    name = "node-pause"
    kind = "node-pause"


class NodePartition(_OnItsNode):
    """The node that runs the target is cut off from the LAN, and runs on alone."""

    name = "node-partition"
    kind = "node-partition"
