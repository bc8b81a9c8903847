"""Faults, one small module per kind, all behind `Fault` (inject / revert).

`FAULTS` is the one registry of faults. Each class defines its fault once: its name, its params
model, whether it only degrades its target, what it leaves behind for `heal` to undo, and
(kill-process) the processes it may kill. Game-day validation, the runner and `heal` read them
from here; adding a fault is adding its class here.
"""

from halab.chaos.engine.faults.base import Fault, FaultParams, FaultUnavailable, NoParams
from halab.chaos.engine.faults.control import NoFault
from halab.chaos.engine.faults.lifecycle import Kill, Pause, Restart, Stop
from halab.chaos.engine.faults.network import Delay, DelayParams, Loss, LossParams, Partition, PartitionParams
from halab.chaos.engine.faults.node import NodeKill, NodePartition, NodePause
from halab.chaos.engine.faults.process import KillProcess, KillProcessParams

# In the order messages list them; the node faults (a Swarm's) after the containers', `none`, the
# control, last.
FAULTS: dict[str, type[Fault]] = {f.name: f for f in (Kill, Stop, Pause, Restart, Partition, Delay, Loss, KillProcess,
                                                      NodeKill, NodePause, NodePartition, NoFault)}

__all__ = [
    "FAULTS", "DelayParams", "Fault", "FaultParams", "FaultUnavailable", "KillProcessParams", "LossParams",
    "NoParams", "PartitionParams",
]
