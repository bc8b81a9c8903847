"""The lab's fixed layout, as docker-compose.yml defines it.

Fixed IPs are part of the design (Sentinel and HAProxy address peers by IP; the VIP sits outside
Docker's allocation range), so the tools may rely on them too. Keep in step with the compose file;
tests/unit/lab/test_topology.py checks that they agree.
"""

from __future__ import annotations

import os

PROJECT = os.environ.get("HALAB_COMPOSE_PROJECT", "halab")


def _network_prefix(subnet: str) -> str:
    """'10.77.0.0/24' -> '10.77.0'. The lab's layout is one /24 whose last octet names the member."""
    address, _, length = subnet.partition("/")
    octets = address.split(".")
    if length != "24" or len(octets) != 4 or octets[3] != "0" or not all(o.isdigit() and int(o) < 256 for o in octets):
        raise ValueError(f"HALAB_SUBNET '{subnet}' is not a /24 ending in .0 (e.g. 10.77.0.0/24, 172.31.77.0/24)")
    return ".".join(octets[:3])


# The lab network (HALAB_SUBNET, bin/lab passes it on): 10.77.0.0/24 unless that clashes with a
# VPN or LAN route on the host (make doctor).
SUBNET = os.environ.get("HALAB_SUBNET") or "10.77.0.0/24"
NET = _network_prefix(SUBNET)


# On a Swarm (docs/swarm.md, "The controller") the same names stand for other places, and
# bin/swarm runs the tools with where they are: HALAB_SWARM_NODES, the nodes' LAN addresses
# (node1's first), and HALAB_VIP, the VIP on that LAN. A member of a kind that runs on its node's
# own network (halab.swarm.stack) is at the address of its node, member i on node i; every other
# member by its name, which Docker's DNS on the stack's overlay resolves to the task wherever
# Swarm runs it. Empty: the single-engine lab.
# The lab's network: compose project halab's `lab`, and the Swarm stack's overlay of that name.
NETWORK = "halab_lab"
# Where the control node's tools find the engine that runs the node containers (bin/swarm).
HOST_DOCKER_ENV = "HALAB_SWARM_HOST_DOCKER"
SWARM_NODES = tuple(a.strip() for a in os.environ.get("HALAB_SWARM_NODES", "").split(",") if a.strip())
ON_SWARM = bool(SWARM_NODES)
# The kinds that run on their node's host network, one member per node. Sentinel does not fail
# over while a dead master's name does not resolve (redis/redis#12753), which is what a dead dnsrr
# task's name does; names through Swarm's virtual IPs were tried and flapped (docs/swarm.md). The
# load balancers too: VRRP adverts do not cross VXLAN, and the VIP is an address on the nodes' LAN.
ON_THE_NODES_NETWORK = ("redis", "sentinel", "lb")


def kind_of(member: str) -> str:
    """redis2 -> redis: the cluster a numbered member belongs to."""
    return member.rstrip("0123456789")


def number_of(member: str) -> int | None:
    """pg2 -> 2: a member's number within its cluster; None for a service without one."""
    digits = member[len(kind_of(member)):]
    return int(digits) if digits else None


def _on_swarm(name: str) -> str:
    kind, number = kind_of(name), number_of(name) or 0
    if kind not in ON_THE_NODES_NETWORK:
        return name
    if number > len(SWARM_NODES):
        raise ValueError(f"{name} runs on node{number}, but HALAB_SWARM_NODES names {len(SWARM_NODES)} node(s): "
                         f"{','.join(SWARM_NODES)}")
    return SWARM_NODES[number - 1]


def _at(*hosts: tuple[str, int]) -> dict[str, str]:
    if ON_SWARM:
        return {name: _on_swarm(name) for name, _ in hosts}
    return {name: f"{NET}.{host}" for name, host in hosts}


if ON_SWARM and not os.environ.get("HALAB_VIP"):
    raise ValueError("HALAB_SWARM_NODES is set but HALAB_VIP is not: on a Swarm the VIP is an address on the "
                     "nodes' LAN (bin/swarm sets both)")
VIP = os.environ["HALAB_VIP"] if ON_SWARM else f"{NET}.10"

LBS = _at(("lb1", 11), ("lb2", 12))
APPS = _at(("app1", 21), ("app2", 22), ("app3", 23))
ETCDS = _at(("etcd1", 31), ("etcd2", 32), ("etcd3", 33))
SENTINELS = _at(("sentinel1", 41), ("sentinel2", 42), ("sentinel3", 43))
PGS = _at(("pg1", 51), ("pg2", 52), ("pg3", 53))
REDISES = _at(("redis1", 61), ("redis2", 62), ("redis3", 63))
KAFKAS = _at(("kafka1", 71), ("kafka2", 72), ("kafka3", 73))
KAFKA_NODE_IDS = {"kafka1": 1, "kafka2": 2, "kafka3": 3}

PATRONI_PORT = 8008
REDIS_PORT = 6379
SENTINEL_PORT = 26379
SENTINEL_MASTER_NAME = "halab"
KAFKA_PORT = 9092
KAFKA_CONTROLLER_PORT = 9093
KAFKA_TOPIC = "order-created"
KAFKA_PROBE_TOPIC = "halab-probe"
ETCD_PORT = 2379
PG_PRIMARY_PORT = 5432
PG_REPLICA_PORT = 5433  # HAProxy's pg_replicas: the replicas, round robin

# Long-running members in the order the status table lists them.
SERVICE_GROUPS: dict[str, dict[str, str]] = {
    "edge": LBS,
    "app": APPS,
    "etcd": ETCDS,
    "postgres": PGS,
    "redis": REDISES,
    "sentinel": SENTINELS,
    "kafka": KAFKAS,
}
ALL_SERVICES: dict[str, str] = {name: ip for group in SERVICE_GROUPS.values() for name, ip in group.items()}
# A Redis member by the address Redis and the Sentinels report. Per kind: on a Swarm, redis1,
# sentinel1 and lb1 share node1's address.
REDIS_BY_ADDRESS: dict[str, str] = {ip: name for name, ip in REDISES.items()}


def kafka_bootstrap() -> list[str]:
    return [f"{ip}:{KAFKA_PORT}" for ip in KAFKAS.values()]


def kafka_controllers() -> str:
    return ",".join(f"{ip}:{KAFKA_CONTROLLER_PORT}" for ip in KAFKAS.values())


def group_of(service: str) -> str:
    for group, members in SERVICE_GROUPS.items():
        if service in members:
            return group
    raise KeyError(service)
