"""Kill one process inside a container while the container lives on: HAProxy dies under a live
keepalived, Postgres dies under a live Patroni. What recovers is the mechanism watching that
process (keepalived's track script, Patroni's HA loop), not Docker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from halab.chaos.engine.faults.base import Fault, FaultParams
from halab.chaos.engine.faults.lifecycle import STOPPED
from halab.chaos.engine.targets import Target
from halab.chaos.errors import FaultError
from halab.chaos.schema import Problem, one_of


@dataclass(frozen=True)
class Process:
    """A process kill-process can kill on its own."""

    name: str  # as a game day names it
    group: str  # the service group whose containers run it
    pattern: tuple[str, ...]  # pkill arguments matching it exactly


# In the order messages list them.
PROCESSES: dict[str, Process] = {p.name: p for p in (
    Process("haproxy", "edge", ("-x", "haproxy")),
    Process("keepalived", "edge", ("-x", "keepalived")),
    Process("postgres", "postgres", ("-x", "postgres")),
    Process("patroni", "postgres", ("-f", "bin/patroni")),
    Process("redis", "redis", ("-x", "redis-server")),
    Process("sentinel", "sentinel", ("-x", "redis-sentinel")),
    Process("kafka", "kafka", ("-f", "kafka.Kafka")),
)}
SIGNALS: tuple[str, ...] = ("KILL", "TERM")

ProcessName = Literal[tuple(PROCESSES)]  # type: ignore[valid-type]
Signal = Literal[SIGNALS]  # type: ignore[valid-type]


def processes_on(group: str) -> tuple[str, ...]:
    """The processes that run in the containers of a service group."""
    return tuple(p.name for p in PROCESSES.values() if p.group == group)


class KillProcessParams(FaultParams):
    """kill-process: kill one process inside the target's container, leaving the container up."""

    process: Annotated[ProcessName, one_of("process", tuple(PROCESSES))] = Field(
        description=f"one of {', '.join(PROCESSES)}, running on the target"
    )
    signal: Annotated[Signal, one_of("signal", SIGNALS)] = "KILL"

    def problems_with(self, target: Target) -> list[Problem]:
        runs_there = processes_on(target.group)
        if self.process in runs_there:
            return []
        where = f"{target} ({target.group} group)"
        if runs_there:
            message = f"process '{self.process}' does not run on {where}; processes there: {', '.join(runs_there)}"
        else:
            groups = list(dict.fromkeys(p.group for p in PROCESSES.values()))
            message = (f"kill-process cannot target {where}: none of its processes can be killed alone; "
                       f"kill-process works on {', '.join(groups[:-1])} and {groups[-1]} targets")
        return [(("process",), "process_not_on_target", message, self.process)]

    def note(self) -> str:
        return f" ({self.process}, SIG{self.signal})"


class KillProcess(Fault):
    name = "kill-process"
    params_model = KillProcessParams
    leftovers = (STOPPED,)  # when the process was the container's main one (keepalived)

    @property
    def process(self) -> str:
        return self.params["process"]

    def describe(self) -> str:
        return f"kill {self.process} in {self.service}"

    def inject(self) -> None:
        signal = self.params.get("signal", "KILL")
        ct = self.lab.container(self.service)
        result = ct.exec_run(["pkill", f"-{signal}", *PROCESSES[self.process].pattern])
        # pkill exits 1 when nothing matched: the fault did not happen, so say so.
        if result.exit_code != 0:
            raise FaultError(f"no {self.process} process to kill in {self.service} (pkill exit {result.exit_code})")

    def revert(self) -> None:
        # The watching mechanism restarts the process; if the container itself went down with it
        # (keepalived is its main process), bring the container back.
        ct = self.lab.container(self.service)
        ct.reload()
        if ct.status == "exited":
            ct.start()
