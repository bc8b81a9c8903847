"""What a fault hits: a role, resolved at run time ("the Patroni leader" is whoever leads now), or
one service by name.

`ROLES` is the one registry of roles: each is defined once in `halab.lab.tiers` (its tier, label,
whether its holder hands it over, its failover mechanism) and found here by its resolver, built on
the same inspectors as `make status`. Game-day validation reads the names and groups, the runner resolves
targets with it and, for roles that hand over, polls the resolver during a scenario to see the
role move (old holder, new holder, when first seen).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import PlainSerializer, PlainValidator

from halab.chaos.engine.handle import Lab
from halab.chaos.errors import FaultError
from halab.chaos.schema import custom_error, describe, suggest, unknown
from halab.lab import roles, status, tiers, topology


def _vip_holder(lab: Lab) -> str | None:
    holders = status.vip_holders(lab.services())
    return holders[0] if len(holders) == 1 else None


def _lb_backup(lab: Lab) -> str | None:
    holder = _vip_holder(lab)
    return next((lb for lb in topology.LBS if lb != holder), None) if holder else None


def _pg_role(wanted: str) -> Callable[[Lab], str | None]:
    def resolve(_: Lab) -> str | None:
        view = roles.patroni_view()
        if wanted == "leader":
            return view.leader
        if wanted == "sync_standby":
            return view.sync_standby
        return next((m.name for m in view.members if m.role == "replica" and m.state in ("running", "streaming")), None)

    return resolve


def _redis_master(_: Lab) -> str | None:
    return roles.redis_view().master


def _redis_replica(_: Lab) -> str | None:
    view = roles.redis_view()
    return next((n.name for n in view.nodes if n.role == "replica" and n.master == view.master), None)


def choose_partition_leader(leaders: dict[int, str | None], controller: str | None) -> str | None:
    """The broker leading the most partitions of the probe topic among those that are *not* the
    active controller (ties: lowest name): killing it interrupts produce traffic the probe sends,
    and only that. Killing the controller is a different failover (kafka-controller)."""
    counts: dict[str, int] = {}
    for broker in leaders.values():
        if broker and broker != controller:
            counts[broker] = counts.get(broker, 0) + 1
    return min(counts, key=lambda b: (-counts[b], b)) if counts else None


def _kafka_partition_leader(lab: Lab) -> str | None:
    leaders, _isr = roles.kafka_partitions(topology.KAFKA_PROBE_TOPIC)
    controller = kafka_controller(lab)
    return choose_partition_leader(leaders, controller) if controller else None


def kafka_controller(lab: Lab) -> str | None:
    return status.kafka_controller(lab.services())


def _etcd_leader(_: Lab) -> str | None:
    return next((n for n, r in roles.etcd_roles().items() if r == "leader"), None)


def _etcd_follower(_: Lab) -> str | None:
    # A follower: losing one costs no election, which is what "no impact expected" is about.
    followers = [n for n, r in roles.etcd_roles().items() if r == "follower"]
    return random.choice(followers) if followers else None


def _any_running(group: dict[str, str]) -> Callable[[Lab], str | None]:
    def resolve(lab: Lab) -> str | None:
        running = [n for n, c in lab.services().items() if n in group and c.status == "running"]
        return random.choice(running) if running else None

    return resolve


# How to find each role's holder now (`halab.lab.tiers.ROLES` defines the roles): one resolver per role.
RESOLVERS: dict[str, Callable[[Lab], str | None]] = {
    "vip-holder": _vip_holder,
    "lb-backup": _lb_backup,
    "pg-leader": _pg_role("leader"),
    "pg-sync-standby": _pg_role("sync_standby"),
    "pg-replica": _pg_role("replica"),  # the asynchronous replica
    "redis-master": _redis_master,
    "redis-replica": _redis_replica,
    "kafka-partition-leader": _kafka_partition_leader,
    "kafka-controller": kafka_controller,
    "app": _any_running(topology.APPS),  # any one app replica
    "etcd": _etcd_follower,  # any one etcd member (a follower: no election)
    "etcd-leader": _etcd_leader,
    "sentinel": _any_running(topology.SENTINELS),  # any one Sentinel
}


@dataclass(frozen=True)
class Role:
    """A role a fault can target: its definition (`halab.lab.tiers`) and how to find its holder
    when the scenario runs (make status shows the holders)."""

    definition: tiers.Role
    holder: Callable[[Lab], str | None]  # the service holding it now; None when nobody does

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def group(self) -> str:
        """The service group its holders belong to: edge, app, etcd, postgres, ..."""
        return self.definition.tier

    @property
    def hands_over(self) -> bool:
        return self.definition.hands_over


def _with_resolvers() -> dict[str, Role]:
    missing = [name for name in tiers.ROLES if name not in RESOLVERS]
    unknown_roles = [name for name in RESOLVERS if name not in tiers.ROLES]
    if missing or unknown_roles:
        raise RuntimeError(f"roles without a resolver: {missing}; resolvers of no role: {unknown_roles}")
    return {name: Role(role, RESOLVERS[name]) for name, role in tiers.ROLES.items()}


# In the order messages list them.
ROLES: dict[str, Role] = _with_resolvers()


SERVICE_PREFIX = "service:"


@dataclass(frozen=True)
class Target:
    """What a fault hits: a role (resolved to its holder when the scenario runs) or one service."""

    kind: Literal["role", "service"]
    name: str

    @classmethod
    def parse(cls, text: object) -> Target:
        """`pg-leader` or `service:pg1`; raises ValueError with a sentence naming what exists."""
        if isinstance(text, Target):
            return text
        if not isinstance(text, str):
            raise ValueError(
                f"must be a role ({', '.join(ROLES)}) or service:<name>, got {describe(text)}"
            )
        text = text.strip()
        if text.startswith(SERVICE_PREFIX):
            name = text[len(SERVICE_PREFIX):]
            if name in topology.ALL_SERVICES:
                return cls("service", name)
            raise ValueError(unknown("service", name, tuple(topology.ALL_SERVICES), label="services"))
        if text in ROLES:
            return cls("role", text)
        message = (
            f"unknown target '{text}'; roles: {', '.join(ROLES)}; "
            f"or one service as service:<name> (e.g. service:pg1)"
        )
        if text in topology.ALL_SERVICES:
            return_hint = f"{SERVICE_PREFIX}{text}"
        else:
            return_hint = suggest(text, list(ROLES))
        raise ValueError(f"{message}; did you mean '{return_hint}'?" if return_hint else message)

    @property
    def group(self) -> str:
        """The service group it belongs to: edge, app, etcd, postgres, redis, sentinel, kafka."""
        return ROLES[self.name].group if self.kind == "role" else topology.group_of(self.name)

    def __str__(self) -> str:
        return self.name if self.kind == "role" else f"{SERVICE_PREFIX}{self.name}"


def _target(value: Any) -> Target:
    try:
        return Target.parse(value)
    except ValueError as exc:
        raise custom_error("unknown_target", str(exc)) from None


TargetField = Annotated[Target, PlainValidator(_target), PlainSerializer(str, return_type=str)]


def resolve(lab: Lab, kind: str, name: str) -> str:
    """The service a target names now; FaultError when nobody holds the role."""
    if kind == "service":
        return name
    holder = ROLES[name].holder(lab)
    if holder is None:
        raise FaultError(f"nobody holds the role '{name}' right now; the lab is not in steady state (make status)")
    return holder
