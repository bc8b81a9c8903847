"""Network faults: cut a node off (partition) and degrade its link (netem delay and loss)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docker.models.containers import Container
from pydantic import Field, field_validator, model_validator

from halab.chaos.engine.faults.base import Fault, FaultParams, FaultUnavailable
from halab.chaos.engine.faults.leftovers import ContainerLeftover, NetnsLeftover
from halab.chaos.engine.faults.lifecycle import STOP_GRACE_S
from halab.chaos.engine.handle import Lab, lab_dev_sh
from halab.chaos.engine.targets import Target, TargetField
from halab.chaos.errors import FaultError
from halab.chaos.schema import Count, Number, Problem, custom_error, fail
from halab.lab import topology

# keepalived names its interface, and Docker plugs a reconnected container's cable back in as a
# new one (eth0 leaves, eth1 comes back): a load balancer is restarted after its reconnect, and
# finds its interface by its own address again (images/lb/entrypoint.sh). Everything else in
# the lab goes by addresses.
BOUND_TO_AN_INTERFACE = frozenset(topology.LBS)


def _reconnect(lab: Lab, service: str, ct: Container) -> str | None:
    if topology.ON_SWARM:
        return None  # a partition there is a rule in the namespace (CUT_OFF); some members are on their node's network
    ct.reload()
    network = lab.network(on=ct)
    if network.name in ct.attrs["NetworkSettings"]["Networks"]:
        return None
    # On a Swarm a member has no fixed address: the overlay gives it one, its name finds it.
    fixed = {} if topology.ON_SWARM else {"ipv4_address": topology.ALL_SERVICES[service]}
    network.connect(ct, aliases=[service], **fixed)
    done = f"reconnected {service} to {network.name}"
    if service in BOUND_TO_AN_INTERFACE:
        ct.restart(timeout=STOP_GRACE_S)
        done += ", restarted it on its new interface"
    return done


# On a Swarm, a task container taken off its overlay and connected again is not reachable from
# the other tasks (seen 2026-11-24: pg2, reconnected, timed out connecting to pg1 for minutes, and
# never caught up); Docker does not support re-plugging a service's task. There the partition
# cuts the member off inside its namespace instead: a routing rule ahead of every table drops
# what it sends (replies too, so nothing it receives is answered) on the overlay and on the
# gateway its published ports come in by; its own loopback stays.
CUT_RULE = ["prio", "1", "blackhole"]

# What a partition leaves: a container off the lab network, blackhole routes (`from`), or on a
# Swarm the cutting rule. Heal reconnects a container once it runs (stage 1), and clears routes
# and the rule after a netem qdisc (stage 3).
OFF_THE_NETWORK = ContainerLeftover(stage=1, undo=_reconnect)
BLACKHOLE_ROUTES = NetnsLeftover(
    stage=3,
    script="ip route show type blackhole | grep -q . && ip route flush type blackhole && echo HEALED-blackhole;",
    marker="HEALED-blackhole", done="removed blackhole routes in {service}",
)
CUT_OFF = NetnsLeftover(
    stage=3,
    script="ip rule show | grep -q '^1:.*blackhole' && ip rule del prio 1 && echo HEALED-cut;",
    marker="HEALED-cut", done="removed the rule that cut {service} off",
)


class PartitionParams(FaultParams):
    """partition: cut the target off from `from` (default: from the whole lab network)."""

    from_: tuple[TargetField, ...] | None = Field(None, alias="from")

    @field_validator("from_")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if value is not None and not value:
            raise custom_error("empty_from", "must name at least one target; leave `from` out to cut the target "
                                             "off from the whole lab network")
        return value

    def problems_with(self, target: Target) -> list[Problem]:
        return [(("from", i), "partition_from_itself",
                 f"'{peer}' is the target itself; a node cannot be cut off from itself", str(peer))
                for i, peer in enumerate(self.from_ or ()) if peer == target]

    def note(self) -> str:
        return f" (from {', '.join(map(str, self.from_))})" if self.from_ else " (from the lab network)"

    def for_fault(self, resolve: Callable[[Target], str] | None = None) -> dict[str, Any]:
        """Also `from_services` when `from` is given: the service names those targets name now,
        role targets through `resolve` (e.g. `lambda t: targets.resolve(lab, t.kind, t.name)`)."""
        params = super().for_fault(resolve)
        if self.from_:
            services = []
            for peer in self.from_:
                if peer.kind == "service":
                    services.append(peer.name)
                elif resolve is None:
                    raise ValueError(f"partition from the role '{peer}' needs a resolve function to name its holder")
                else:
                    services.append(resolve(peer))
            params["from_services"] = list(dict.fromkeys(services))
        return params


class Partition(Fault):
    """Cut the target off. Without `from`, it leaves the lab network entirely (its peers and its
    clients lose it, it loses them). With `from: [services]`, only traffic between it and those
    peers is dropped (blackhole routes on both sides), the rest of the lab still reaches it."""

    name = "partition"
    takes_out = True
    params_model = PartitionParams
    leftovers = (OFF_THE_NETWORK, BLACKHOLE_ROUTES, CUT_OFF)

    @property
    def peers(self) -> list[str]:
        return list(self.params.get("from_services") or [])

    def describe(self) -> str:
        return f"partition {self.service}" + (f" from {', '.join(self.peers)}" if self.peers else " from the lab network")

    def inject(self) -> None:
        if not self.peers and topology.ON_SWARM:
            code, out = self.lab.in_netns(self.service, ["ip", "rule", "add", *CUT_RULE])
            if code != 0:
                raise FaultError(f"could not cut {self.service} off in its namespace: {out}")
            return
        if not self.peers:
            target = self.lab.container(self.service)
            self.lab.network(on=target).disconnect(target, force=True)
            return
        for peer in self.peers:
            self._route(self.service, "add", topology.ALL_SERVICES[peer])
            self._route(peer, "add", topology.ALL_SERVICES[self.service])

    def revert(self) -> None:
        if not self.peers and topology.ON_SWARM:
            code, out = self.lab.in_netns(self.service, ["ip", "rule", "del", *CUT_RULE])
            if code != 0 and "No such file" not in out:  # not there: already reverted
                raise FaultError(f"could not remove the rule that cuts {self.service} off: {out}")
            return
        if not self.peers:
            _reconnect(self.lab, self.service, self.lab.container(self.service))
            return
        for peer in self.peers:
            self._route(self.service, "del", topology.ALL_SERVICES[peer], check=False)
            self._route(peer, "del", topology.ALL_SERVICES[self.service], check=False)

    def _route(self, service: str, action: str, ip: str, check: bool = True) -> None:
        code, out = self.lab.in_netns(service, ["ip", "route", action, "blackhole", f"{ip}/32"])
        if check and code != 0:
            raise FaultError(f"could not {action} a blackhole route to {ip} in {service}: {out}")


# What delay and loss leave: a netem qdisc on the lab interface.
NETEM_QDISC = NetnsLeftover(
    stage=2,
    script='tc qdisc show dev "$DEV" 2>/dev/null | grep -q netem && tc qdisc del dev "$DEV" root && echo HEALED-netem;',
    marker="HEALED-netem", done="removed netem rule in {service}",
)


class _Netem(Fault):
    """tc netem on the target's lab interface, set from a helper container in its namespace."""

    degrades = True
    leftovers = (NETEM_QDISC,)

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


class DelayParams(FaultParams):
    """delay: add latency to the target's network traffic."""

    delay_ms: Count = Field(ge=1, le=10_000, description="added latency in milliseconds, 1..10000")
    jitter_ms: Count = Field(0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _jitter_within_delay(self) -> DelayParams:
        if self.jitter_ms > self.delay_ms:
            raise fail("DelayParams", [(
                ("jitter_ms",), "jitter_too_large",
                f"must be at most delay_ms ({self.delay_ms}), got {self.jitter_ms}", self.jitter_ms,
            )])
        return self

    def note(self) -> str:
        return f" (+{self.delay_ms} ms" + (f" ±{self.jitter_ms} ms)" if self.jitter_ms else ")")


class Delay(_Netem):
    name = "delay"
    params_model = DelayParams

    def describe(self) -> str:
        return f"delay {self.service} by {self.params['delay_ms']} ms"

    def netem_args(self) -> list[str]:
        args = ["delay", f"{self.params['delay_ms']}ms"]
        if self.params.get("jitter_ms"):
            args.append(f"{self.params['jitter_ms']}ms")
        return args


class LossParams(FaultParams):
    """loss: drop a share of the target's packets."""

    loss_pct: Number = Field(gt=0, le=100, description="share of packets dropped, in percent, 0 < x <= 100")

    def note(self) -> str:
        return f" ({self.loss_pct:g}% loss)"


class Loss(_Netem):
    name = "loss"
    params_model = LossParams

    def describe(self) -> str:
        return f"drop {self.params['loss_pct']}% of {self.service}'s packets"

    def netem_args(self) -> list[str]:
        return ["loss", f"{self.params['loss_pct']}%"]
