"""The retry policy and circuit breakers, driven without real sleeps or servers."""

from __future__ import annotations


import psycopg
import pybreaker
import pytest
import redis.exceptions
from psycopg_pool import PoolTimeout
from tenacity import RetryCallState, Retrying

from halab.app.ports import DependencyUnavailable
from halab.app.resilience import (
    BREAKER_FAIL_MAX,
    DependencyGuard,
    is_connection_error,
    make_breaker,
    retry_policy,
)


class Flaky:
    """Raises the given errors in turn, then returns "done"; counts how often it was called."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def call_state(policy: Retrying) -> RetryCallState:
    return RetryCallState(retry_object=policy, fn=None, args=(), kwargs={})


def guard(name: str = "postgres") -> tuple[DependencyGuard, list[float]]:
    sleeps: list[float] = []
    return DependencyGuard(
        name=name, breaker=make_breaker(name, is_connection_error), sleep=sleeps.append
    ), sleeps


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("server closed the connection unexpectedly"),
        redis.exceptions.ConnectionError("Connection refused"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
    ],
    ids=["postgres connection lost", "redis connection refused", "redis timeout"],
)
def test_connection_errors_are_retried_with_backoff(error: BaseException) -> None:
    g, sleeps = guard()
    flaky = Flaky(error, error)

    assert g.call(flaky) == "done"

    assert flaky.calls == 3
    assert len(sleeps) == 2


def test_other_errors_are_not_retried_and_surface_unchanged() -> None:
    g, sleeps = guard()
    flaky = Flaky(psycopg.errors.UniqueViolation("duplicate key"))

    with pytest.raises(psycopg.errors.UniqueViolation):
        g.call(flaky)

    assert flaky.calls == 1
    assert sleeps == []


def test_unkeyed_insert_is_not_rerun_when_its_outcome_is_unknown() -> None:
    g, _ = guard()
    insert = Flaky(psycopg.OperationalError("connection lost during COMMIT"))

    with pytest.raises(DependencyUnavailable, match="postgres is unavailable"):
        g.call(insert, idempotent=False)

    assert insert.calls == 1


def test_unkeyed_insert_is_retried_when_no_connection_was_ever_handed_out() -> None:
    g, _ = guard()
    insert = Flaky(PoolTimeout("couldn't get a connection after 2.00 sec"))

    assert g.call(insert, idempotent=False) == "done"
    assert insert.calls == 2


def test_retry_can_be_switched_off_for_calls_with_a_better_fallback() -> None:
    g, _ = guard()
    read = Flaky(psycopg.OperationalError("replica gone"))

    with pytest.raises(DependencyUnavailable):
        g.call(read, retry=False)

    assert read.calls == 1


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    policy = retry_policy(idempotent=True)

    def waits(attempt: int) -> set[float]:
        state = call_state(policy)
        state.attempt_number = attempt
        return {policy.wait(state) for _ in range(50)}

    assert len(waits(3)) > 1, "jitter: the same attempt waits different times"
    assert max(waits(1)) <= 0.2 < max(waits(5)) <= 1.0


def test_retries_stop_before_the_time_budget_runs_out() -> None:
    policy = retry_policy(idempotent=True, budget_s=4.0)

    def stops(elapsed_s: float, next_sleep_s: float) -> bool:
        state = call_state(policy)
        state.start_time, state.outcome_timestamp = 0.0, elapsed_s
        state.upcoming_sleep = next_sleep_s
        return policy.stop(state)

    assert not stops(1.0, 0.5)
    assert stops(3.8, 0.5)


def test_breaker_opens_after_fail_max_and_then_fails_fast() -> None:
    g, _ = guard()
    down = Flaky(*[psycopg.OperationalError("connection refused")] * 10)

    for _ in range(BREAKER_FAIL_MAX):
        with pytest.raises(DependencyUnavailable):
            g.call(down, retry=False)
    assert g.breaker.current_state == pybreaker.STATE_OPEN

    with pytest.raises(DependencyUnavailable, match="circuit breaker open"):
        g.call(down)
    assert down.calls == BREAKER_FAIL_MAX


def test_business_errors_do_not_open_the_breaker() -> None:
    g, _ = guard()

    for _ in range(BREAKER_FAIL_MAX + 1):
        with pytest.raises(psycopg.errors.UniqueViolation):
            g.call(Flaky(psycopg.errors.UniqueViolation("duplicate key")))

    assert g.breaker.current_state == pybreaker.STATE_CLOSED


def test_retries_stop_as_soon_as_the_breaker_opens() -> None:
    g, sleeps = guard()
    down = Flaky(*[redis.exceptions.ConnectionError("refused")] * 20)

    with pytest.raises(DependencyUnavailable, match="circuit breaker open"):
        g.call(down)

    assert down.calls == BREAKER_FAIL_MAX
