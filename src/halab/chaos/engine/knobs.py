"""The lab's failover knobs as the running services report them, for the journal: a result is
only comparable with another run's if the knobs were the same."""

from __future__ import annotations

import re

import redis
import requests

from halab.chaos.engine.handle import Lab
from halab.lab import containers, profile, topology


def _patroni() -> dict:
    for ip in topology.PGS.values():
        try:
            cfg = requests.get(f"http://{ip}:{topology.PATRONI_PORT}/config", timeout=2).json()
        except (requests.RequestException, ValueError):
            continue
        keys = ("ttl", "loop_wait", "retry_timeout", "primary_start_timeout", "synchronous_mode",
                "synchronous_mode_strict", "maximum_lag_on_failover")
        return {k: cfg.get(k) for k in keys}
    return {}


def _sentinel() -> dict:
    for ip in topology.SENTINELS.values():
        try:
            with redis.Redis(host=ip, port=topology.SENTINEL_PORT, socket_timeout=2, decode_responses=True) as s:
                info = s.execute_command("SENTINEL", "MASTER", topology.SENTINEL_MASTER_NAME)
        except redis.RedisError:
            continue
        if isinstance(info, list):
            info = dict(zip(info[::2], info[1::2]))
        return {k: info.get(k) for k in ("down-after-milliseconds", "failover-timeout", "quorum", "parallel-syncs")}
    return {}


def _grep(lab: Lab, service: str, path: str, pattern: str) -> dict:
    try:
        code, text = containers.exec_text(lab.container(service), ["cat", path])
    except Exception:
        return {}
    text = text if code == 0 else ""
    found: dict[str, list[str]] = {}
    for m in re.finditer(pattern, text, re.MULTILINE):
        found.setdefault(m.group(1), []).append(m.group(2).strip())
    # A knob set once reads as a value; one set per backend keeps every setting.
    return {k: v[0] if len(v) == 1 else v for k, v in found.items()}


def _profile() -> dict:
    try:
        return profile.in_force().to_json()
    except profile.ProfileError as e:
        return {"name": "unknown", "error": str(e)}


def _keepalived(lab: Lab) -> dict:
    # [ \t], not \s: a flag with no value (nopreempt) must not read the next line as its value.
    knobs = _grep(lab, "lb1", KEEPALIVED_CONF, r"^[ \t]*(version|advert_int|nopreempt|interval|fall|rise)\b[ \t]*(.*)$")
    if knobs.get("nopreempt") == "":
        knobs["nopreempt"] = "on"
    # Each node's own priority sets how long it waits as the backup (the skew of master-down).
    priorities = {lb: _grep(lab, lb, KEEPALIVED_CONF, r"^\s*(priority)\s+(\d+)").get("priority") for lb in topology.LBS}
    knobs["priority"] = {lb: p for lb, p in priorities.items() if p is not None}
    return knobs


KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"


def collect_knobs(lab: Lab) -> dict:
    """The profile the services were started with, and each knob read back from the service."""
    return {
        "profile": _profile(),
        "keepalived": _keepalived(lab),
        "haproxy": _grep(lab, "lb1", "/etc/haproxy/haproxy.cfg",
                         r"^\s*(default-server|timeout check|timeout connect|retry-on|retries)\s+(.*)$"),
        "patroni": _patroni(),
        "sentinel": _sentinel(),
        "kafka": _grep(lab, "kafka1", "/var/lib/kafka/server.properties",
                       r"^(broker\.session\.timeout\.ms|broker\.heartbeat\.interval\.ms|min\.insync\.replicas|"
                       r"unclean\.leader\.election\.enable|replica\.lag\.time\.max\.ms|"
                       r"controller\.quorum\.fetch\.timeout\.ms|controller\.quorum\.election\.timeout\.ms)=(.*)$"),
    }
