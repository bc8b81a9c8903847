"""Carts (the session state) in Redis, found through Sentinel so a master failover is followed."""

from __future__ import annotations

from typing import cast

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, ResponseError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

from halab.app.config import Settings
from halab.app.resilience import DependencyGuard

CART_TTL_S = 86_400


class MasterFollowingConnection(SentinelManagedConnection):
    """Leaves a master that answers NOREPLICAS, as redis-py leaves one that answers READONLY.

    A master with no replica acknowledging it (min-replicas-to-write) is, here, one the Sentinels
    have replaced but not demoted yet (a returning old master is converted 8-10 s after it is seen
    again) or one cut off from the others. redis-py stays on it: in two Swarm game days
    (2026-11-25) every write failed 10-17 s after a failover that was done in 2 s. The write was
    refused before it ran, so it is safe to retry: a ConnectionError makes the caller's retry ask
    again, and the next connection asks the Sentinels where the master is."""

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except ResponseError as e:
            if self.connection_pool.is_master and str(e).startswith("NOREPLICAS"):
                self.disconnect()
                raise ConnectionError(f"the master has no replica acknowledging writes; asking the Sentinels again ({e})") from e
            raise


def sentinel_master(settings: Settings) -> Redis:
    # redis-py's own retries off, for the Sentinels and the master alike: the guard's tenacity
    # policy is the single retry layer. redis-py 6 retries 3 times with exponential backoff by
    # default whatever retry_on_timeout says, so one dead Sentinel, asked first, cost a new
    # connection up to 12 s (found by make spof-sweep), and a dead master multiplied the waits.
    options = {
        "socket_timeout": settings.redis_socket_timeout_s,
        "socket_connect_timeout": settings.redis_socket_timeout_s,
        "retry": Retry(NoBackoff(), 0),
    }
    # A dead first Sentinel cost each new connection the full connect timeout (kill-sentinel1: writes
    # of 1-2 s, 4.3 s over budget in CI); redis-py then moves the Sentinel that answered to the front.
    asking_sentinels = options | {"socket_connect_timeout": settings.sentinel_connect_timeout_s}
    sentinel = Sentinel(list(settings.sentinels), sentinel_kwargs=asking_sentinels, **options)
    # Each new connection asks Sentinel for the current master; a demoted one answers READONLY and
    # a replaced one NOREPLICAS, which the connection turns into a ConnectionError, i.e. one more
    # retry (the guard's) against the new master.
    return sentinel.master_for(settings.redis_master_name, decode_responses=True,
                               connection_class=MasterFollowingConnection, **options)


class RedisCartStore:
    def __init__(self, master: Redis, guard: DependencyGuard) -> None:
        self._master = master
        self._guard = guard

    def set_quantity(self, customer: str, item: str, quantity: int) -> None:
        def write() -> None:
            # MULTI/EXEC: a cart never exists without its expiry.
            with self._master.pipeline(transaction=True) as pipe:
                pipe.hset(_cart_key(customer), item, str(quantity))
                pipe.expire(_cart_key(customer), CART_TTL_S)
                pipe.execute()

        # Setting the same field to the same value twice is harmless, so retrying is safe.
        self._guard.call(write)

    def get(self, customer: str) -> dict[str, int]:
        def read() -> dict[str, str]:
            # A sync client: the Awaitable in redis-py's return type only applies to asyncio.
            return cast("dict[str, str]", self._master.hgetall(_cart_key(customer)))

        raw = self._guard.call(read)
        return {item: int(quantity) for item, quantity in raw.items()}

    def ping(self) -> None:
        self._guard.call(self._master.ping, retry=False)

    def close(self) -> None:
        self._master.close()


def _cart_key(customer: str) -> str:
    return f"cart:{customer}"
