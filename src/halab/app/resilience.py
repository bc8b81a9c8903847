"""Retries and circuit breakers around calls to Postgres, Redis and Kafka."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg
import pybreaker
import redis.exceptions
from psycopg_pool import PoolTimeout
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_random_exponential,
)

from halab.app.ports import DependencyUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that mean "the connection or the server went away", the signature of a failover.
# Anything else (constraint violations, bad SQL, WRONGTYPE) would fail again the same way.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_BUDGET_S = 4.0
# Five connection failures in a row open a dependency's breaker: calls then fail fast (503)
# instead of each waiting out a connect timeout.
BREAKER_FAIL_MAX = 5
# An open breaker lets one trial call through after this long. It bounds how long the app keeps
# refusing after the dependency is back (a 2 s value added up to 2 s to every Postgres failover).
BREAKER_RESET_TIMEOUT_S = 0.5


def is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, CONNECTION_ERRORS)


def never_reached_server(exc: BaseException) -> bool:
    # The pool could not hand out a connection, so no statement was sent: safe to re-run anything.
    return isinstance(exc, PoolTimeout)


def retry_policy(
    *,
    idempotent: bool,
    budget_s: float = RETRY_BUDGET_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Retrying:
    # A non-idempotent INSERT (no Idempotency-Key) that died mid-flight may or may not have
    # committed: the connection can break after the server committed but before we read the
    # reply. Re-running it could create a second order, so only retry when nothing was sent.
    should_retry = is_connection_error if idempotent else never_reached_server
    return Retrying(
        retry=retry_if_exception(should_retry),
        # Full jitter, so three replicas' workers do not reconnect to the new primary in lockstep.
        wait=wait_random_exponential(multiplier=0.1, max=1.0),
        stop=stop_before_delay(budget_s),
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,
    )


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("attempt %d failed (%s); retrying", state.attempt_number, exc)


def make_breaker(
    name: str, counts_as_failure: Callable[[BaseException], bool]
) -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=BREAKER_FAIL_MAX,
        reset_timeout=BREAKER_RESET_TIMEOUT_S,
        # A business error (e.g. a unique violation) says nothing about the dependency's health.
        exclude=[lambda exc: not counts_as_failure(exc)],
        name=name,
    )


@dataclass
class DependencyGuard:
    """Retries connection errors, fails fast while the breaker is open, and reports both as 503s."""

    name: str
    breaker: pybreaker.CircuitBreaker
    retry_budget_s: float = RETRY_BUDGET_S
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def for_dependency(cls, name: str) -> DependencyGuard:
        return cls(name=name, breaker=make_breaker(name, is_connection_error))

    def call(self, fn: Callable[[], T], *, idempotent: bool = True, retry: bool = True) -> T:
        budget = self.retry_budget_s if retry else 0.0
        policy = retry_policy(idempotent=idempotent, budget_s=budget, sleep=self.sleep)
        try:
            # Each attempt passes the breaker, so once it opens the remaining attempts fail fast.
            return policy(self._attempt, fn)
        except pybreaker.CircuitBreakerError as exc:
            reason = "circuit breaker open after repeated connection failures"
            raise DependencyUnavailable(self.name, reason) from exc
        except CONNECTION_ERRORS as exc:
            raise DependencyUnavailable(self.name, str(exc) or type(exc).__name__) from exc

    def _attempt(self, fn: Callable[[], T]) -> T:
        # breaker.call() holds the breaker's lock while fn runs, serialising every thread of the
        # worker behind one slow query (pybreaker issue #55); calling() only locks the bookkeeping.
        with self.breaker.calling():
            return fn()
