"""The lab's fixed layout, as docker-compose.yml defines it.

Fixed IPs are part of the design (Sentinel and HAProxy address peers by IP; the VIP sits outside
Docker's allocation range), so the tools may rely on them too. Keep in step with the compose file;
tests/unit/lab/test_topology.py checks that they agree.
"""

from __future__ import annotations

import os

PROJECT = os.environ.get("HALAB_COMPOSE_PROJECT", "halab")
VIP = "10.77.0.10"

LBS = {"lb1": "10.77.0.11", "lb2": "10.77.0.12"}
APPS = {"app1": "10.77.0.21", "app2": "10.77.0.22", "app3": "10.77.0.23"}
ETCDS = {"etcd1": "10.77.0.31", "etcd2": "10.77.0.32", "etcd3": "10.77.0.33"}
SENTINELS = {"sentinel1": "10.77.0.41", "sentinel2": "10.77.0.42", "sentinel3": "10.77.0.43"}
PGS = {"pg1": "10.77.0.51", "pg2": "10.77.0.52", "pg3": "10.77.0.53"}
REDISES = {"redis1": "10.77.0.61", "redis2": "10.77.0.62", "redis3": "10.77.0.63"}
KAFKAS = {"kafka1": "10.77.0.71", "kafka2": "10.77.0.72", "kafka3": "10.77.0.73"}
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
NAME_BY_IP: dict[str, str] = {ip: name for name, ip in ALL_SERVICES.items()}


def kafka_bootstrap() -> list[str]:
    return [f"{ip}:{KAFKA_PORT}" for ip in KAFKAS.values()]


def kafka_controllers() -> str:
    return ",".join(f"{ip}:{KAFKA_CONTROLLER_PORT}" for ip in KAFKAS.values())


def group_of(service: str) -> str:
    for group, members in SERVICE_GROUPS.items():
        if service in members:
            return group
    raise KeyError(service)
