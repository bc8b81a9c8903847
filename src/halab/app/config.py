"""Settings of the orders service, read once from HALAB_* environment variables."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    replica_name: str
    pg_host: str = "vip"
    pg_write_port: int = 5432
    pg_read_port: int = 5433
    pg_db: str = "orders"
    pg_user: str = "app"
    pg_password: str = "app"
    # Gives up on a dead VIP/HAProxy quickly, so reconnecting during a failover stays bounded.
    pg_connect_timeout_s: int = 2
    # Kills a statement stuck on a primary that is going away, so no request hangs past failover.
    pg_statement_timeout_ms: int = 3000
    # Caps how long a request waits for a pooled connection while the pool reconnects. Short,
    # because the breaker's single trial call after a failover waits this long at worst.
    pg_checkout_timeout_s: float = 1.0
    sentinels: tuple[tuple[str, int], ...] = (
        ("10.77.0.41", 26379),
        ("10.77.0.42", 26379),
        ("10.77.0.43", 26379),
    )
    redis_master_name: str = "halab"
    # A dead master is noticed within ~1 s per connect/read, then Sentinel is asked again.
    redis_socket_timeout_s: float = 1.0
    # A new connection asks the Sentinels in order and a dead one costs this connect timeout, so
    # keep it short: a live Sentinel on the lab's network answers a connect in well under 1 ms
    # (the kernel answers the SYN, however busy Sentinel is); its replies keep the 1 s above.
    sentinel_connect_timeout_s: float = 0.25
    kafka_bootstrap: tuple[str, ...] = ("kafka1:9092", "kafka2:9092", "kafka3:9092")
    kafka_topic: str = "order-created"
    outbox_relay_enabled: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default = cls(replica_name=socket.gethostname())

        def read(name: str, parser: _Parser[T], fallback: T) -> T:
            raw = env.get(name, "").strip()
            if not raw:
                return fallback
            try:
                return parser.parse(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is invalid: expected {parser.allowed}") from None

        return cls(
            replica_name=read("HALAB_REPLICA_NAME", TEXT, default.replica_name),
            pg_host=read("HALAB_PG_HOST", TEXT, default.pg_host),
            pg_write_port=read("HALAB_PG_WRITE_PORT", PORT, default.pg_write_port),
            pg_read_port=read("HALAB_PG_READ_PORT", PORT, default.pg_read_port),
            pg_db=read("HALAB_PG_DB", TEXT, default.pg_db),
            pg_user=read("HALAB_PG_USER", TEXT, default.pg_user),
            pg_password=env.get("HALAB_PG_PASSWORD", default.pg_password),
            sentinels=read("HALAB_SENTINELS", HOST_PORTS, default.sentinels),
            redis_master_name=read("HALAB_REDIS_MASTER_NAME", TEXT, default.redis_master_name),
            kafka_bootstrap=read("HALAB_KAFKA_BOOTSTRAP", BOOTSTRAP, default.kafka_bootstrap),
            kafka_topic=read("HALAB_KAFKA_TOPIC", TEXT, default.kafka_topic),
            outbox_relay_enabled=read("HALAB_OUTBOX_RELAY", FLAG, default.outbox_relay_enabled),
        )


@dataclass(frozen=True)
class _Parser(Generic[T]):
    parse: Callable[[str], T]  # raises ValueError on bad input
    allowed: str


def _port(raw: str) -> int:
    port = int(raw)
    if not 1 <= port <= 65535:
        raise ValueError
    return port


def _host_ports(raw: str) -> tuple[tuple[str, int], ...]:
    pairs = []
    for part in raw.split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not host:
            raise ValueError
        pairs.append((host, _port(port)))
    return tuple(pairs)


def _flag(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError


TEXT = _Parser(str, "a non-empty string")
PORT = _Parser(_port, "a port 1..65535")
HOST_PORTS = _Parser(_host_ports, "comma-separated host:port pairs")
BOOTSTRAP = _Parser(
    lambda raw: tuple(f"{host}:{port}" for host, port in _host_ports(raw)), HOST_PORTS.allowed
)
FLAG = _Parser(_flag, "1 or 0 (or true/false)")
