"""Who holds which role right now, asked of each system in its own terms.

Each inspector returns a small frozen view; parsing is kept apart from I/O so the rules
(what counts as "agreed", which member is the sync standby) are unit-tested on recorded answers.
Every inspector tolerates dead members: a lab mid-failover is exactly when status matters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from halab.lab import topology

HTTP_TIMEOUT = 1.5


# --- edge: which lb holds the VIP -------------------------------------------------------------

def holds_vip(ip_addr_output: str, vip: str = topology.VIP) -> bool:
    """True when `ip -4 -o addr show` (every interface) lists the VIP."""
    return re.search(rf"\binet {re.escape(vip)}/", ip_addr_output) is not None


# --- Patroni ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PatroniMember:
    name: str
    role: str  # leader, sync_standby, replica
    state: str
    lag_bytes: int | None  # None when Patroni reports it unknown (e.g. replica not streaming)
    timeline: int | None = None


@dataclass(frozen=True)
class PatroniView:
    members: tuple[PatroniMember, ...]
    answered_by: str | None

    @property
    def leader(self) -> str | None:
        return next((m.name for m in self.members if m.role == "leader" and m.state == "running"), None)

    @property
    def sync_standby(self) -> str | None:
        return next((m.name for m in self.members if m.role in ("sync_standby", "sync standby")), None)

    def member(self, name: str) -> PatroniMember | None:
        return next((m for m in self.members if m.name == name), None)


def parse_patroni_cluster(doc: dict, answered_by: str | None = None) -> PatroniView:
    members = []
    for m in doc.get("members", []):
        lag = m.get("lag")
        members.append(
            PatroniMember(
                name=m["name"],
                role=m.get("role", "unknown").replace(" ", "_"),
                state=m.get("state", "unknown"),
                lag_bytes=lag if isinstance(lag, int) else None,
                timeline=m.get("timeline"),
            )
        )
    return PatroniView(tuple(sorted(members, key=lambda m: m.name)), answered_by)


def patroni_view() -> PatroniView:
    """Asks each member's REST API in turn; the first that answers speaks for the cluster (it
    reads the member list from etcd, so every member gives the same answer)."""
    for name, ip in topology.PGS.items():
        try:
            r = requests.get(f"http://{ip}:{topology.PATRONI_PORT}/cluster", timeout=HTTP_TIMEOUT)
            r.raise_for_status()
            return parse_patroni_cluster(r.json(), answered_by=name)
        except (requests.RequestException, ValueError):
            continue
    return PatroniView((), None)


# --- Redis and Sentinel -------------------------------------------------------------------------

@dataclass(frozen=True)
class RedisNode:
    name: str
    role: str | None  # master, replica, or None when unreachable
    master: str | None = None  # for a replica: the service it replicates from
    link_up: bool | None = None


@dataclass(frozen=True)
class RedisView:
    nodes: tuple[RedisNode, ...]
    sentinel_answers: dict[str, str | None] = field(default_factory=dict)  # sentinel -> master
    # Sentinels in TILT mode: after a stall of over 2 s (a frozen machine, a stalled host) a
    # Sentinel distrusts its own timers and for 30 s acts in no failover, nor votes down a master.
    sentinels_in_tilt: tuple[str, ...] = ()

    @property
    def masters(self) -> list[str]:
        return [n.name for n in self.nodes if n.role == "master"]

    @property
    def agreed_master(self) -> str | None:
        """The master every reachable Sentinel names, if they all name the same one (and at least
        a quorum of 2 answered)."""
        answers = [a for a in self.sentinel_answers.values() if a is not None]
        if len(answers) >= 2 and len(set(answers)) == 1:
            return answers[0]
        return None

    @property
    def master(self) -> str | None:
        """The master: the one the Sentinels agree on, when it also says it is a master."""
        agreed = self.agreed_master
        return agreed if agreed in self.masters else None


def parse_replication_info(name: str, info: dict) -> RedisNode:
    role = info.get("role")
    if role == "master":
        return RedisNode(name, "master")
    if role in ("slave", "replica"):
        host = str(info.get("master_host", ""))
        return RedisNode(
            name, "replica", topology.REDIS_BY_ADDRESS.get(host, host or None), info.get("master_link_status") == "up"
        )
    return RedisNode(name, None)


# One attempt per question, 1 s each: redis-py 6 otherwise retries 3 times with backoff, and during
# a node partition one look at the unreachable Redis and Sentinel took 19.9 s, so the game day saw
# the new master only after the revert ("seen 21.7 s after the fault", its Redis probe's failover
# was 3.4 s).
_ONE_LOOK = {"socket_timeout": 1, "socket_connect_timeout": 1, "retry": Retry(NoBackoff(), 0)}


def redis_view() -> RedisView:
    nodes = []
    for name, ip in topology.REDISES.items():
        try:
            with redis.Redis(host=ip, port=topology.REDIS_PORT, **_ONE_LOOK) as r:
                nodes.append(parse_replication_info(name, r.info("replication")))
        except redis.RedisError:
            nodes.append(RedisNode(name, None))
    answers: dict[str, str | None] = {}
    tilted = []
    for name, ip in topology.SENTINELS.items():
        try:
            with redis.Redis(host=ip, port=topology.SENTINEL_PORT, **_ONE_LOOK) as s:
                addr = s.execute_command("SENTINEL", "get-master-addr-by-name", topology.SENTINEL_MASTER_NAME)
                if s.info("sentinel").get("sentinel_tilt"):
                    tilted.append(name)
            host = addr[0].decode() if addr else None
            answers[name] = topology.REDIS_BY_ADDRESS.get(host, host) if host else None
        except redis.RedisError:
            answers[name] = None
    return RedisView(tuple(nodes), answers, tuple(tilted))


# --- Kafka --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KafkaView:
    controller: str | None
    partition_leaders: dict[int, str | None]  # the app's topic: partition -> broker, None if leaderless
    isr: dict[int, tuple[str, ...]]
    # Every other topic steady state checks (the chaos probe's): topic -> (leaders, isr).
    other_topics: dict[str, tuple[dict[int, str | None], dict[int, tuple[str, ...]]]] = field(default_factory=dict)

    def topics(self) -> dict[str, tuple[dict[int, str | None], dict[int, tuple[str, ...]]]]:
        return {topology.KAFKA_TOPIC: (self.partition_leaders, self.isr), **self.other_topics}

    def leads(self, broker: str) -> list[int]:
        return sorted(p for p, leader in self.partition_leaders.items() if leader == broker)


def parse_quorum_leader(describe_status_output: str) -> int | None:
    """The active controller's node id from `kafka-metadata-quorum describe --status`."""
    m = re.search(r"^LeaderId:\s+(-?\d+)", describe_status_output, re.MULTILINE)
    if not m or int(m.group(1)) < 0:
        return None
    return int(m.group(1))


def leader_from_quorum_states(states: list[str]) -> int | None:
    """The active controller's node id from the voters' `quorum-state` files (KRaft keeps its
    election state there: leaderId and leaderEpoch, rewritten at every transition). The newest
    epoch that names a leader wins: a stale file (a partitioned or frozen old leader) has an older
    epoch, and a candidate's file names no leader at all."""
    best: tuple[int, int] | None = None  # (epoch, leader)
    for text in states:
        try:
            state = json.loads(text)
            epoch, leader = int(state["leaderEpoch"]), int(state["leaderId"])
        except (ValueError, KeyError, TypeError):
            continue
        if leader >= 0 and (best is None or epoch > best[0]):
            best = (epoch, leader)
    return best[1] if best else None


BROKER_BY_NODE_ID = {node_id: name for name, node_id in topology.KAFKA_NODE_IDS.items()}


def kafka_partitions(topic: str = topology.KAFKA_TOPIC) -> tuple[dict[int, str | None], dict[int, tuple[str, ...]]]:
    """Partition leaders and ISRs of a topic (the app's by default), from the cluster metadata."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=topology.kafka_bootstrap(),
            request_timeout_ms=3000,
            api_version_auto_timeout_ms=3000,
            client_id="halab-status",
        )
    except (KafkaError, ValueError, OSError):
        return {}, {}
    try:
        topics = admin.describe_topics([topic])
    except (KafkaError, OSError):
        return {}, {}
    finally:
        admin.close()
    leaders: dict[int, str | None] = {}
    isr: dict[int, tuple[str, ...]] = {}
    for t in topics:
        for p in t.get("partitions", []):
            leaders[p["partition"]] = BROKER_BY_NODE_ID.get(p["leader"])
            isr[p["partition"]] = tuple(BROKER_BY_NODE_ID.get(b, str(b)) for b in p.get("isr", []))
    return leaders, isr


# --- etcd ---------------------------------------------------------------------------------------

def etcd_is_leader(status_doc: dict) -> bool:
    """From etcd's v3 maintenance/status answer: is the answering member the Raft leader?"""
    header = status_doc.get("header", {})
    return str(header.get("member_id")) == str(status_doc.get("leader"))


def etcd_roles() -> dict[str, str | None]:
    roles: dict[str, str | None] = {}
    for name, ip in topology.ETCDS.items():
        try:
            r = requests.post(f"http://{ip}:{topology.ETCD_PORT}/v3/maintenance/status", json={}, timeout=HTTP_TIMEOUT)
            r.raise_for_status()
            roles[name] = "leader" if etcd_is_leader(r.json()) else "follower"
        except (requests.RequestException, ValueError):
            roles[name] = None
    return roles
