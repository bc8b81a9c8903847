"""The words a game day may use: faults, roles, services, processes, signals, probes, stores.

Each is read from the registry that defines it (faults: `halab.chaos.engine.faults.FAULTS`, roles:
`halab.chaos.engine.targets.ROLES`, processes: `halab.chaos.engine.faults.process.PROCESSES`, probes:
`halab.chaos.engine.probes.PROBES`), never listed here a second time."""

from __future__ import annotations

import re
from typing import Literal

from halab.chaos.engine import budget, faults, targets
from halab.chaos.engine.faults import process
from halab.lab.topology import ALL_SERVICES

# `none` is the control: probes run, nothing is injected, and no role may move (no false failover).
FAULTS: tuple[str, ...] = tuple(faults.FAULTS)
FaultName = Literal[FAULTS]  # type: ignore[valid-type]
# Faults that degrade a member without taking it out; no role change is expected by default.
DEGRADING_FAULTS: frozenset[str] = frozenset(name for name, fault in faults.FAULTS.items() if fault.degrades)
PARAMS_BY_FAULT: dict[str, type[faults.FaultParams]] = {name: fault.params_model for name, fault in faults.FAULTS.items()}

ROLES: tuple[str, ...] = tuple(targets.ROLES)
ROLE_GROUPS: dict[str, str] = {name: role.group for name, role in targets.ROLES.items()}
# Roles whose holder, when it fails, hands the role to another member: a new holder is expected.
HANDOVER_ROLES: frozenset[str] = frozenset(name for name, role in targets.ROLES.items() if role.hands_over)
SERVICES: tuple[str, ...] = tuple(ALL_SERVICES)
# What kill-process may kill, and where each runs.
PROCESSES: tuple[str, ...] = tuple(process.PROCESSES)
PROCESSES_BY_GROUP: dict[str, tuple[str, ...]] = {
    group: process.processes_on(group) for group in dict.fromkeys(p.group for p in process.PROCESSES.values())
}
SIGNALS: tuple[str, ...] = process.SIGNALS

PROBES: tuple[str, ...] = budget.PROBE_NAMES
ProbeName = budget.ProbeName
STORES: tuple[str, ...] = budget.STORES
StoreName = budget.StoreName

MAX_DURATION_S = 300
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
