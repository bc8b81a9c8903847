"""What a fault leaves in the lab while it is injected, and how `make heal` finds and undoes it
when the controller died before reverting (SIGKILL, a crash, a closed terminal).

Each fault names the kinds it leaves (`Fault.leftovers`), and defines them next to its own
`revert`. `heal` undoes every kind the fault registry names, service by service, in `stage`
order (the container must run again before its network and namespace can be repaired); a kind
several faults leave (a stopped container) is undone once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from docker.models.containers import Container

from halab.chaos.engine.handle import Lab


@dataclass(frozen=True)
class ContainerLeftover:
    """Damage seen and undone through the Docker API (a paused or stopped container, ...)."""

    stage: int
    undo: Callable[[Lab, str, Container], str | None]  # (lab, service, container) -> the line saying what it did


@dataclass(frozen=True)
class NetnsLeftover:
    """Damage that lives in a container's network namespace (a qdisc, routes). `script` removes it
    if present and then prints `marker`; `heal` runs the scripts of every such kind in one helper
    container per service, with $DEV set to the lab interface."""

    stage: int
    script: str
    marker: str
    done: str  # the line saying what was removed, with {service}


@dataclass(frozen=True)
class NodeLeftover:
    """Damage to a whole Swarm node (powered off, frozen, unplugged from the LAN), undone through
    the engine that runs the nodes; before anything on a node can be repaired."""

    stage: int
    undo: Callable[[], list[str]]  # () -> one line per repair


Leftover = ContainerLeftover | NetnsLeftover | NodeLeftover


def in_heal_order(kinds: Iterable[Leftover]) -> list[Leftover]:
    """Each kind once, by stage; kinds of one stage in the order given."""
    return sorted(dict.fromkeys(kinds), key=lambda kind: kind.stage)
