"""Resident memory of the running lab, per container and in total (the lab's budget is 3 GiB)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from halab.lab import containers, topology

BUDGET_BYTES = 3 * 1024**3


@dataclass(frozen=True)
class MemoryUse:
    service: str
    resident_bytes: int


def resident_bytes(stats: dict) -> int:
    """Resident memory from a Docker stats sample: the cgroup's anonymous memory (rss on cgroup
    v1, anon on v2), i.e. usage without the reclaimable page cache."""
    mem = stats.get("memory_stats", {})
    detail = mem.get("stats", {})
    for key in ("rss", "anon", "total_rss"):
        if key in detail:
            return int(detail[key])
    return int(mem.get("usage", 0)) - int(detail.get("inactive_file", detail.get("total_inactive_file", 0)))


def measure() -> list[MemoryUse]:
    # Only the lab's services: the tools container measuring them is not part of the lab.
    running = {
        n: c
        for n, c in containers.lab_containers(containers.client()).items()
        if n in topology.ALL_SERVICES and c.status == "running"
    }

    def one(item):
        name, ct = item
        return MemoryUse(name, resident_bytes(ct.stats(stream=False)))

    with ThreadPoolExecutor(8) as pool:
        return sorted(pool.map(one, running.items()), key=lambda m: m.service)
