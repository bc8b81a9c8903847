"""Faults, one small module per kind, all behind `Fault` (inject / revert)."""

from halab.chaos.faults.base import Fault, FaultUnavailable
from halab.chaos.faults.control import NoFault
from halab.chaos.faults.lifecycle import Kill, Pause, Restart, Stop
from halab.chaos.faults.network import Delay, Loss, Partition
from halab.chaos.faults.process import KillProcess

FAULTS: dict[str, type[Fault]] = {f.name: f for f in (Kill, Stop, Pause, Restart, Partition, Delay, Loss, KillProcess, NoFault)}

__all__ = ["FAULTS", "Fault", "FaultUnavailable"]
