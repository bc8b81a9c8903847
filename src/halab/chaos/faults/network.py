"""Network faults: cut a node off (partition) and degrade its link (netem delay and loss)."""

from __future__ import annotations

from halab.chaos.errors import FaultError
from halab.chaos.faults.base import Fault, FaultUnavailable
from halab.lab import topology


class Partition(Fault):
    """Cut the target off. Without `from`, it leaves the lab network entirely (its peers and its
    clients lose it, it loses them). With `from: [services]`, only traffic between it and those
    peers is dropped (blackhole routes on both sides), the rest of the lab still reaches it."""

    name = "partition"

    @property
    def peers(self) -> list[str]:
        return list(self.params.get("from_services") or [])

    def describe(self) -> str:
        return f"partition {self.service}" + (f" from {', '.join(self.peers)}" if self.peers else " from the lab network")

    def inject(self) -> None:
        if not self.peers:
            self.lab.network().disconnect(self.lab.container(self.service), force=True)
            return
        for peer in self.peers:
            self._route(self.service, "add", topology.ALL_SERVICES[peer])
            self._route(peer, "add", topology.ALL_SERVICES[self.service])

    def revert(self) -> None:
        if not self.peers:
            ct = self.lab.container(self.service)
            ct.reload()
            if self.lab.network().name not in ct.attrs["NetworkSettings"]["Networks"]:
                self.lab.network().connect(ct, ipv4_address=topology.ALL_SERVICES[self.service], aliases=[self.service])
            return
        for peer in self.peers:
            self._route(self.service, "del", topology.ALL_SERVICES[peer], check=False)
            self._route(peer, "del", topology.ALL_SERVICES[self.service], check=False)

    def _route(self, service: str, action: str, ip: str, check: bool = True) -> None:
        code, out = self.lab.in_netns(service, ["ip", "route", action, "blackhole", f"{ip}/32"])
        if check and code != 0:
            raise FaultError(f"could not {action} a blackhole route to {ip} in {service}: {out}")


# The interface that carries the lab address: eth0 at start, but Docker may name it eth1 after
# the container was disconnected and reconnected (a healed partition).
LAB_DEV = "$(ip -o -4 addr show | awk '$4 ~ /^10\\.77\\.0\\./ {print $2; exit}')"


def lab_dev_sh(command: str) -> list[str]:
    """A shell command with $DEV set to the lab interface."""
    return ["sh", "-c", f"DEV={LAB_DEV}; {command}"]


class _Netem(Fault):
    """tc netem on the target's lab interface, set from a helper container in its namespace."""

    def netem_args(self) -> list[str]:
        raise NotImplementedError

    def check_available(self) -> None:
        # Try the qdisc on the target itself and take it off again: netem is a kernel module
        # that some hosts (and Docker Desktop VMs) lack.
        code, out = self.lab.in_netns(self.service, lab_dev_sh('tc qdisc replace dev "$DEV" root netem delay 1ms'))
        self.lab.in_netns(self.service, lab_dev_sh('tc qdisc del dev "$DEV" root'))
        if code != 0:
            raise FaultUnavailable(f"tc netem is not available on this machine ({out.strip() or f'exit {code}'})")

    def inject(self) -> None:
        code, out = self.lab.in_netns(self.service, lab_dev_sh(f'tc qdisc replace dev "$DEV" root netem {" ".join(self.netem_args())}'))
        if code != 0:
            raise FaultError(f"tc netem failed in {self.service}: {out}")

    def revert(self) -> None:
        ct = self.lab.container(self.service)
        ct.reload()
        if ct.status != "running":
            return  # a stopped container's namespace is gone, and its qdisc with it
        self.lab.in_netns(self.service, lab_dev_sh('tc qdisc del dev "$DEV" root'))


class Delay(_Netem):
    name = "delay"

    def describe(self) -> str:
        return f"delay {self.service} by {self.params['delay_ms']} ms"

    def netem_args(self) -> list[str]:
        args = ["delay", f"{self.params['delay_ms']}ms"]
        if self.params.get("jitter_ms"):
            args.append(f"{self.params['jitter_ms']}ms")
        return args


class Loss(_Netem):
    name = "loss"

    def describe(self) -> str:
        return f"drop {self.params['loss_pct']}% of {self.service}'s packets"

    def netem_args(self) -> list[str]:
        return ["loss", f"{self.params['loss_pct']}%"]
