"""One picture of the lab: every service's state, health and current role.

`collect()` asks every system concurrently (a slow or dead member must not stall the others);
`LabStatus.to_json()` is the contract other tools read (keys named in docs/gamedays.md and README.md); the table is
rendered from the same object.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from halab.lab import containers, roles, topology

# A replica further behind than this is not "caught up" (steady state waits for it).
MAX_STEADY_LAG_BYTES = 1024 * 1024


class Problem(str):
    """One unmet steady-state condition, as a sentence, and the services whose logs explain it
    (`make up` prints their last lines when the lab does not settle). A str, so every view that
    prints or keys on problems keeps working."""

    services: tuple[str, ...]

    def __new__(cls, text: str, services: Iterable[str] = ()) -> "Problem":
        problem = super().__new__(cls, text)
        problem.services = tuple(services)
        return problem


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    group: str
    state: str
    health: str | None
    role: str | None
    node: str | None = None  # on a Swarm, the node that runs it

    @property
    def ok(self) -> bool:
        return self.state == "running" and self.health in ("healthy", None)


@dataclass(frozen=True)
class LabStatus:
    services: tuple[ServiceStatus, ...]
    vip_holders: tuple[str, ...]
    pg: roles.PatroniView
    redis: roles.RedisView
    kafka: roles.KafkaView
    etcd: dict[str, str | None]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def vip_holder(self) -> str | None:
        return self.vip_holders[0] if len(self.vip_holders) == 1 else None

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {
            "healthy": self.healthy,
            "problems": list(self.problems),
            "vip": topology.VIP,
            "vip_holder": self.vip_holder,
            "vip_holders": list(self.vip_holders),
            "pg_leader": self.pg.leader,
            "pg_sync_standby": self.pg.sync_standby,
            "pg_members": {
                m.name: {"role": m.role, "state": m.state, "lag_bytes": m.lag_bytes, "timeline": m.timeline}
                for m in self.pg.members
            },
            "redis_master": self.redis.master,
            "redis_masters": self.redis.masters,
            "redis_sentinels": self.redis.sentinel_answers,
            "kafka_controller": self.kafka.controller,
            "kafka_partition_leaders": {str(p): b for p, b in sorted(self.kafka.partition_leaders.items())},
            "kafka_isr": {str(p): list(b) for p, b in sorted(self.kafka.isr.items())},
            "etcd_leader": next((n for n, r in self.etcd.items() if r == "leader"), None),
            "services": {s.name: {"group": s.group, "state": s.state, "health": s.health, "role": s.role,
                                  **({"node": s.node} if topology.ON_SWARM else {})} for s in self.services},
        }


def vip_holders(lab: dict) -> tuple[str, ...]:
    """The load balancers whose interfaces hold the VIP, both asked at once: asked one after the
    other (an exec each, tenths of a second on a busy machine), a handover between the two looks
    read as "held by none"."""

    def holds(name: str) -> bool:
        ct = lab.get(name)
        if ct is None or ct.status != "running":
            return False
        # Every interface: after a healed partition the lab interface may be eth1.
        code, out = containers.exec_text(ct, ["ip", "-4", "-o", "addr", "show"])
        return code == 0 and roles.holds_vip(out)

    with ThreadPoolExecutor(len(topology.LBS)) as pool:
        held = list(pool.map(holds, topology.LBS))
    return tuple(name for name, h in zip(topology.LBS, held) if h)


# Where each KRaft voter keeps its election state (see `roles.leader_from_quorum_states`).
QUORUM_STATE = "/var/lib/kafka/data/__cluster_metadata-0/quorum-state"


def kafka_controller(lab: dict) -> str | None:
    """The active KRaft controller, from the voters' own election state: a `cat` in each running
    broker (~0.1 s), where asking the quorum with Kafka's tool starts a JVM (~2.5 s of CPU on two
    cores, on every look of a steady-state wait). `kafka_controller_by_tool` is the cross-check."""
    states = []
    for name in topology.KAFKAS:
        ct = lab.get(name)
        if ct is None or ct.status != "running":
            continue
        try:
            code, out = containers.exec_text(ct, ["cat", QUORUM_STATE])
        except Exception:  # paused, or gone since the list was taken
            continue
        if code == 0:
            states.append(out)
    node = roles.leader_from_quorum_states(states)
    return roles.BROKER_BY_NODE_ID.get(node) if node is not None else None


def kafka_controller_by_tool(lab: dict) -> str | None:
    """The active controller as `kafka-metadata-quorum describe --status` names it."""
    for name in topology.KAFKAS:
        ct = lab.get(name)
        if ct is None or ct.status != "running":
            continue
        code, out = containers.exec_text(
            ct, ["kafka-metadata-quorum", "--bootstrap-controller", topology.kafka_controllers(), "describe", "--status"]
        )
        if code == 0:
            node = roles.parse_quorum_leader(out)
            return roles.BROKER_BY_NODE_ID.get(node) if node is not None else None
    return None


def _kafka_view(lab: dict) -> roles.KafkaView:
    with ThreadPoolExecutor(3) as pool:
        controller = pool.submit(kafka_controller, lab)
        probe_topic = pool.submit(roles.kafka_partitions, topology.KAFKA_PROBE_TOPIC)
        leaders, isr = pool.submit(roles.kafka_partitions).result()
        return roles.KafkaView(controller.result(), leaders, isr, {topology.KAFKA_PROBE_TOPIC: probe_topic.result()})


def role_of(name: str, st: LabStatus) -> str | None:
    """The role column of the table, in words a workshop audience can read."""
    group = topology.group_of(name)
    if group == "edge":
        return "MASTER (holds VIP)" if name in st.vip_holders else "BACKUP"
    if group == "postgres":
        m = st.pg.member(name)
        if m is None:
            return None
        lag = "" if m.role == "leader" else f", lag {m.lag_bytes} B" if m.lag_bytes is not None else ", lag unknown"
        return f"{m.role.replace('_', ' ')} ({m.state}{lag})"
    if group == "redis":
        node = next((n for n in st.redis.nodes if n.name == name), None)
        if node is None or node.role is None:
            return None
        if node.role == "master":
            return "master"
        return f"replica of {node.master} (link {'up' if node.link_up else 'down'})"
    if group == "sentinel":
        seen = st.redis.sentinel_answers.get(name)
        return f"sees master {seen}" if seen else None
    if group == "kafka":
        parts = []
        if st.kafka.controller == name:
            parts.append("active controller")
        leads = st.kafka.leads(name)
        if leads:
            parts.append("leads " + ", ".join(f"p{p}" for p in leads))
        return "; ".join(parts) or "broker"
    if group == "etcd":
        return st.etcd.get(name)
    if group == "app":
        return "replica"
    return None


def find_problems(st: LabStatus) -> tuple[Problem, ...]:
    problems = [
        Problem(f"{s.name} is {s.state}{f' ({s.health})' if s.health and s.health != 'healthy' else ''}", [s.name])
        for s in st.services
        if not s.ok
    ]
    if len(st.vip_holders) != 1:
        problems.append(Problem(f"the VIP {topology.VIP} is held by {len(st.vip_holders)} nodes ({', '.join(st.vip_holders) or 'none'})", topology.LBS))
    if st.pg.leader is None:
        problems.append(Problem("Patroni has no running leader", topology.PGS))
    if st.pg.sync_standby is None and st.pg.leader is not None:
        problems.append(Problem("Postgres has no synchronous standby: commits are acknowledged by the primary alone", topology.PGS))
    for m in st.pg.members:
        if m.state not in ("running", "streaming"):
            problems.append(Problem(f"Postgres member {m.name} is {m.state}", [m.name]))
        elif m.role != "leader" and (m.lag_bytes is None or m.lag_bytes > MAX_STEADY_LAG_BYTES):
            lag = m.lag_bytes if m.lag_bytes is not None else "unknown"
            problems.append(Problem(f"Postgres replica {m.name} is behind the primary (lag {lag})", [m.name]))
    missing_pg = set(topology.PGS) - {m.name for m in st.pg.members}
    if st.pg.members and missing_pg:
        problems.append(Problem(f"Postgres members missing from the cluster: {', '.join(sorted(missing_pg))}", sorted(missing_pg)))
    for node in st.redis.nodes:
        if node.role == "replica" and not node.link_up:
            problems.append(Problem(f"Redis replica {node.name} has no link to its master", [node.name]))
    if len(st.redis.masters) != 1:
        problems.append(Problem(f"Redis has {len(st.redis.masters)} masters ({', '.join(st.redis.masters) or 'none'})", topology.REDISES))
    if st.redis.agreed_master is None:
        problems.append(Problem(f"the Sentinels do not agree on a master: {st.redis.sentinel_answers}", topology.SENTINELS))
    elif st.redis.master is None:
        problems.append(Problem(f"the Sentinels name {st.redis.agreed_master} as master, but it is not one",
                                [*topology.SENTINELS, st.redis.agreed_master]))
    if st.redis.sentinels_in_tilt:
        problems.append(Problem(f"{', '.join(st.redis.sentinels_in_tilt)} in TILT mode: after a stall (a frozen or "
                                "stalled machine) a Sentinel sits out failovers for 30 s, so a failure now could "
                                "find no quorum", list(st.redis.sentinels_in_tilt)))
    if st.kafka.controller is None:
        problems.append(Problem("no Kafka active controller found", topology.KAFKAS))
    for topic, (leaders, isr) in st.kafka.topics().items():
        leaderless = [p for p, b in leaders.items() if b is None]
        if not leaders:
            problems.append(Problem(f"Kafka topic {topic} has no partition metadata", topology.KAFKAS))
        elif leaderless:
            problems.append(Problem(f"Kafka partitions of {topic} without a leader: {leaderless}", topology.KAFKAS))
        short = [p for p, members in isr.items() if len(members) < len(topology.KAFKAS)]
        if short:
            problems.append(Problem(f"Kafka partitions of {topic} with fewer than {len(topology.KAFKAS)} in-sync replicas: {sorted(short)}",
                                    topology.KAFKAS))
    if sum(1 for r in st.etcd.values() if r == "leader") != 1:
        problems.append(Problem("etcd has no single leader", topology.ETCDS))
    return tuple(problems)


def collect() -> LabStatus:
    lab = containers.the_lab()
    with ThreadPoolExecutor(6) as pool:
        vip = pool.submit(vip_holders, lab)
        pg = pool.submit(roles.patroni_view)
        rds = pool.submit(roles.redis_view)
        kafka = pool.submit(_kafka_view, lab)
        etcd = pool.submit(roles.etcd_roles)
        partial = LabStatus((), vip.result(), pg.result(), rds.result(), kafka.result(), etcd.result())
    services = tuple(
        ServiceStatus(
            name,
            topology.group_of(name),
            (cs := containers.state_of(name, lab.get(name))).state,
            cs.health,
            role_of(name, partial) if cs.state == "running" else None,
            containers.node_of(lab[name]) if name in lab else None,
        )
        for name in topology.ALL_SERVICES
    )
    full = replace(partial, services=services)
    return replace(full, problems=find_problems(full))
