"""The words a game day may use: faults, roles, services, processes, signals, probes, stores.

Each is read from the registry that defines it (roles: `halab.chaos.targets.ROLES`), never listed
here a second time."""

from __future__ import annotations

import re
from typing import Literal

from halab.chaos import targets
from halab.lab.topology import ALL_SERVICES

# `none` is the control: probes run, nothing is injected, and no role may move (no false failover).
FAULTS: tuple[str, ...] = ("kill", "stop", "pause", "restart", "partition", "delay", "loss", "kill-process", "none")
Fault = Literal["kill", "stop", "pause", "restart", "partition", "delay", "loss", "kill-process", "none"]

ROLES: tuple[str, ...] = tuple(targets.ROLES)
ROLE_GROUPS: dict[str, str] = {name: role.group for name, role in targets.ROLES.items()}
# Roles whose holder, when it fails, hands the role to another member: a new holder is expected.
HANDOVER_ROLES: frozenset[str] = frozenset(name for name, role in targets.ROLES.items() if role.hands_over)
SERVICES: tuple[str, ...] = tuple(ALL_SERVICES)
# Faults that degrade a member without taking it out; no role change is expected by default.
DEGRADING_FAULTS: frozenset[str] = frozenset({"delay", "loss"})

PROCESSES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "edge": ("haproxy", "keepalived"),
    "postgres": ("postgres", "patroni"),
    "redis": ("redis",),
    "sentinel": ("sentinel",),
    "kafka": ("kafka",),
}
PROCESSES: tuple[str, ...] = tuple(p for procs in PROCESSES_BY_GROUP.values() for p in procs)
Process = Literal["haproxy", "keepalived", "postgres", "patroni", "redis", "sentinel", "kafka"]
SIGNALS: tuple[str, ...] = ("KILL", "TERM")
Signal = Literal["KILL", "TERM"]

PROBES: tuple[str, ...] = ("http", "postgres", "redis", "kafka")
Probe = Literal["http", "postgres", "redis", "kafka"]
# Where lost writes are counted: http = orders acknowledged to HTTP clients; the others are the
# write probes of each store. Each is measured by the probe of the same name.
STORES: tuple[str, ...] = PROBES
Store = Probe

MAX_DURATION_S = 300
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
