"""Numbered SETs to whichever master the Sentinels name; read back from the master afterwards."""

from __future__ import annotations

import redis
from redis.sentinel import Sentinel

from halab.chaos.probes.base import Probe
from halab.chaos.records import Request, WriteCheck
from halab.lab import topology

SOCKET_TIMEOUT_S = 1.0


class RedisProbe(Probe):
    name = "redis"

    def setup(self) -> None:
        self.sentinel = Sentinel(
            [(ip, topology.SENTINEL_PORT) for ip in topology.SENTINELS.values()],
            socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S,
        )
        # master_for re-asks the Sentinels for the master whenever its connection fails.
        self.master = self.sentinel.master_for(
            topology.SENTINEL_MASTER_NAME, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S
        )

    def key(self, seq: int) -> str:
        return f"probe:{self.run_id}:{seq}"

    def operation(self, seq: int) -> Request:
        started = self.clock()
        try:
            self.master.set(self.key(seq), seq, ex=3600)
        except redis.TimeoutError as e:
            return Request(self.name, started, self.clock() - started, "timeout", seq=seq, detail=str(e)[:160])
        except redis.RedisError as e:
            return Request(self.name, started, self.clock() - started, "error", seq=seq, detail=str(e)[:160])
        return Request(self.name, started, self.clock() - started, "ok", seq=seq)

    def verify(self) -> WriteCheck:
        attempted, acknowledged = self.attempted(), self.acknowledged()
        keys = sorted(attempted)
        present: set[int] = set()
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                for seq, value in zip(chunk, self.master.mget([self.key(s) for s in chunk])):
                    if value is not None:
                        present.add(seq)
        except redis.RedisError as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        return WriteCheck(self.name, attempted, acknowledged, frozenset(present))

    def teardown(self) -> None:
        self.master.close()
