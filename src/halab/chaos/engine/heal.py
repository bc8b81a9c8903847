"""`make heal`: undo whatever a dead or interrupted controller left behind. Idempotent: on a
healthy lab it changes nothing and says so.

What can be left behind is the faults' own knowledge (`Fault.leftovers`, see
`halab.chaos.engine.faults.leftovers`); this module only walks the fault registry and the lab.
"""

from __future__ import annotations

import docker.errors

from halab.chaos.engine.faults import FAULTS
from halab.chaos.engine.faults.leftovers import ContainerLeftover, NetnsLeftover, NodeLeftover, in_heal_order
from halab.chaos.engine.handle import Lab
from halab.lab import deadline, topology


def heal(lab: Lab) -> list[str]:
    """Returns one line per thing it repaired."""
    kinds = in_heal_order(kind for fault in FAULTS.values() for kind in fault.leftovers)
    in_docker = [kind for kind in kinds if isinstance(kind, ContainerLeftover)]
    in_netns = [kind for kind in kinds if isinstance(kind, NetnsLeftover)]
    lab.network()  # a lab that is down has no network: fail here, before anything is touched
    actions: list[str] = []
    # On a Swarm, the nodes first: a node must run before what is on it can be repaired.
    for kind in kinds:
        if isinstance(kind, NodeLeftover):
            actions += kind.undo()
    # Leftover helper containers of an interrupted netns fault.
    for engine in lab.engines():
        for helper in engine.containers.list(all=True, filters={"label": "halab.helper"}, ignore_removed=True):
            try:
                helper.remove(force=True)
            except docker.errors.NotFound:
                continue  # its own fault removed it meanwhile: nothing left to heal
            actions.append(f"removed leftover helper container {helper.name}")
    # On a Swarm, a member killed or stopped by a fault is held down at 0 replicas.
    actions += [done for name in topology.ALL_SERVICES if (done := lab.let_up(name))]
    services = lab.services()
    for name, ct in services.items():
        for kind in in_docker:
            done = kind.undo(lab, name, ct)
            if done:
                actions.append(done)
    if in_netns:
        # One helper container enters every running service's namespace and looks for every kind.
        found = lab.in_every_netns(services, " ".join(kind.script for kind in in_netns) + " true")
        for name in services:
            # Only the markers count: anything else the tools print is not something that was healed.
            markers = found.get(name, (0, ""))[1].split()
            actions += [kind.done.format(service=name) for kind in in_netns if kind.marker in markers]
    return actions + deadline.disarm_others(lab.client)
