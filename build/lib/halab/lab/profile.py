"""The failover profile the lab runs with: `tuned` (the default) or `stock` (every timer at its
upstream default), defined once in profiles/<name>.env.

`make up PROFILE=<name>` hands that file to the services whose timers it sets, as environment;
their entrypoints fill the knobs into their configs at start-up. The containers' environment is
therefore the record of which profile is in force. Two kinds of knob outlive a container: Patroni keeps
its timers in etcd, written only when the cluster is first created, and each Sentinel rewrites its
own config file (leaving out a value equal to its default, so a restart cannot edit it back), so
`apply` sets them through Patroni's REST API (PATCH /config) and SENTINEL SET after every
`make up`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import requests

from halab.lab import containers, topology

# The services that read the profile, one per kind (every member of a kind gets the same file).
READERS = ("lb1", "pg1", "sentinel1", "kafka1")
# Patroni's dynamic settings and the profile variables they come from.
PATRONI_KNOBS = {
    "ttl": "HALAB_PATRONI_TTL",
    "loop_wait": "HALAB_PATRONI_LOOP_WAIT",
    "retry_timeout": "HALAB_PATRONI_RETRY_TIMEOUT",
    "primary_start_timeout": "HALAB_PATRONI_PRIMARY_START_TIMEOUT",
}


class ProfileError(RuntimeError):
    """The lab's profile cannot be read or applied."""


@dataclass(frozen=True)
class Profile:
    name: str  # "tuned", "stock", or "mixed" when services were started with different ones
    knobs: dict[str, str] = field(default_factory=dict)  # HALAB_* variable -> value

    def to_json(self) -> dict:
        return {"name": self.name, "knobs": dict(self.knobs)}


def _environment(container) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in container.attrs.get("Config", {}).get("Env") or [] if "=" in item)
    return {k: v for k, v in pairs if k.startswith("HALAB_")}


def in_force() -> Profile:
    """The profile the running services were started with, from their environment."""
    found = containers.lab_containers(containers.client())
    names, knobs = set(), {}
    for service in READERS:
        if service in found:
            env = _environment(found[service])
            names.add(env.get("HALAB_PROFILE", "unknown"))
            knobs.update(env)
    knobs.pop("HALAB_PROFILE", None)
    if not names:
        raise ProfileError("no lab service is running: start the lab with `make up`")
    return Profile(names.pop() if len(names) == 1 else "mixed", knobs)


def patroni_config(timeout_s: float = 2.0) -> dict:
    """Patroni's dynamic configuration, from the first member that answers."""
    for ip in topology.PGS.values():
        try:
            return requests.get(f"http://{ip}:{topology.PATRONI_PORT}/config", timeout=timeout_s).json()
        except (requests.RequestException, ValueError):
            continue
    raise ProfileError("no Patroni member answers on its REST API (port 8008)")


SENTINEL_KNOBS = {
    "down-after-milliseconds": "HALAB_SENTINEL_DOWN_AFTER_MS",
    "failover-timeout": "HALAB_SENTINEL_FAILOVER_TIMEOUT_MS",
}


def apply_sentinels(profile: Profile) -> dict[str, str]:
    """SENTINEL SET each Sentinel's timers to the profile's (Sentinel persists them itself)."""
    wanted = {key: profile.knobs[var] for key, var in SENTINEL_KNOBS.items() if var in profile.knobs}
    if not wanted:
        return {}
    args = [item for pair in wanted.items() for item in pair]
    for ip in topology.SENTINELS.values():
        try:
            with redis.Redis(host=ip, port=topology.SENTINEL_PORT, socket_timeout=3) as sentinel:
                sentinel.execute_command("SENTINEL", "SET", topology.SENTINEL_MASTER_NAME, *args)
        except redis.RedisError as e:
            raise ProfileError(f"Sentinel {ip} refused SENTINEL SET {' '.join(args)}: {e}") from e
    return wanted


def apply(profile: Profile) -> dict[str, int]:
    """Make Patroni's timers in etcd those of `profile`; returns the values changed (old ones are
    replaced in one PATCH, which Patroni validates: loop_wait + 2 x retry_timeout <= ttl)."""
    wanted = {key: int(profile.knobs[var]) for key, var in PATRONI_KNOBS.items() if var in profile.knobs}
    current = patroni_config()
    changes = {k: v for k, v in wanted.items() if current.get(k) != v}
    if "primary_start_timeout" in changes:  # Patroni 3.0 still reads the old name too
        changes["master_start_timeout"] = changes["primary_start_timeout"]
    if not changes:
        return {}
    for ip in topology.PGS.values():
        try:
            answer = requests.patch(f"http://{ip}:{topology.PATRONI_PORT}/config", json=changes, timeout=5)
        except requests.RequestException:
            continue
        if answer.status_code == 200:
            return changes
        raise ProfileError(f"Patroni refused {changes}: HTTP {answer.status_code} {answer.text[:200]}")
    raise ProfileError("no Patroni member answers on its REST API (port 8008)")
