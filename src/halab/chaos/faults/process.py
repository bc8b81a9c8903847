"""Kill one process inside a container while the container lives on: HAProxy dies under a live
keepalived, Postgres dies under a live Patroni. What recovers is the mechanism watching that
process (keepalived's track script, Patroni's HA loop), not Docker."""

from __future__ import annotations

from halab.chaos.errors import FaultError
from halab.chaos.faults.base import Fault

# process name in the game day -> pkill arguments matching it exactly.
PROCESS_PATTERNS: dict[str, list[str]] = {
    "haproxy": ["-x", "haproxy"],
    "keepalived": ["-x", "keepalived"],
    "postgres": ["-x", "postgres"],
    "patroni": ["-f", "bin/patroni"],
    "redis": ["-x", "redis-server"],
    "sentinel": ["-x", "redis-sentinel"],
    "kafka": ["-f", "kafka.Kafka"],
}


class KillProcess(Fault):
    name = "kill-process"

    @property
    def process(self) -> str:
        return self.params["process"]

    def describe(self) -> str:
        return f"kill {self.process} in {self.service}"

    def inject(self) -> None:
        signal = self.params.get("signal", "KILL")
        ct = self.lab.container(self.service)
        result = ct.exec_run(["pkill", f"-{signal}", *PROCESS_PATTERNS[self.process]])
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
