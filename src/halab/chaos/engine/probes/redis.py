"""Numbered SETs to whichever master the Sentinels name; read back from the master afterwards."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from halab.app.cache import MasterFollowingConnection
from halab.chaos.engine.probes.base import Answer, Probe
from halab.chaos.engine.records import WriteCheck
from halab.lab import topology

SOCKET_TIMEOUT_S = 1.0
# As the app's sentinel_connect_timeout_s: a dead Sentinel asked first costs a connect this long.
SENTINEL_CONNECT_TIMEOUT_S = 0.25


class RedisProbe(Probe):
    name = "redis"
    # A new connection asks each Sentinel in turn (a dead one costs its connect timeout, a slow one
    # its reply), then connects to the master and writes.
    max_operation_s = 3 * SENTINEL_CONNECT_TIMEOUT_S + 3 * SOCKET_TIMEOUT_S

    def setup(self) -> None:
        # As the app does: every operation is one attempt, so the record shows what a client
        # without hidden retries sees. redis-py 6 otherwise retries 3 times with exponential
        # backoff, and one dead Sentinel asked first stalled a write 12 s (make spof-sweep).
        options = {"socket_timeout": SOCKET_TIMEOUT_S, "socket_connect_timeout": SOCKET_TIMEOUT_S,
                   "retry": Retry(NoBackoff(), 0)}
        self.sentinel = Sentinel([(ip, topology.SENTINEL_PORT) for ip in topology.SENTINELS.values()],
                                 sentinel_kwargs=options | {"socket_connect_timeout": SENTINEL_CONNECT_TIMEOUT_S},
                                 **options)
        # master_for re-asks the Sentinels for the master whenever its connection fails, and, as
        # the app's, when the master it is on answers READONLY or NOREPLICAS (a replaced master).
        self.master = self.sentinel.master_for(topology.SENTINEL_MASTER_NAME,
                                               connection_class=MasterFollowingConnection, **options)

    def key(self, seq: int) -> str:
        return f"probe:{self.run_id}:{seq}"

    def operation(self, seq: int) -> Answer:
        try:
            self.master.set(self.key(seq), seq, ex=3600)
        except redis.TimeoutError as e:
            return Answer("timeout", detail=str(e)[:160])
        except redis.RedisError as e:
            return Answer("error", detail=str(e)[:160])
        return Answer()

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
