"""The outbox relay marks rows sent only after Kafka acknowledged every message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pybreaker
import pytest

from halab.app.kafka_publisher import KafkaPublisher, OutboxMessage
from halab.app.outbox import OutboxRelay, Publish
from halab.app.resilience import BREAKER_FAIL_MAX, make_breaker


def message(order_id: int) -> OutboxMessage:
    return OutboxMessage(
        id=order_id, topic="order-created", key=str(order_id), payload={"order_id": order_id}
    )


class FakeOutbox:
    """Mimics PostgresOutbox.relay_batch: rows count as sent only if publish returned."""

    def __init__(self, *messages: OutboxMessage) -> None:
        self.unsent = list(messages)
        self.sent: list[OutboxMessage] = []

    def relay_batch(self, publish: Publish) -> int:
        batch = list(self.unsent)
        if not batch:
            return 0
        publish(batch)
        self.sent += batch
        self.unsent.clear()
        return len(batch)


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class FakeProducer:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.fail_with = fail_with
        self.sent: list[tuple[str, str, Any]] = []
        self.flushed = self.closed = False

    def send(self, topic: str, key: str, value: Any) -> FakeFuture:
        self.sent.append((topic, key, value))
        return FakeFuture(self.fail_with)

    def flush(self, timeout: float | None = None) -> None:
        self.flushed = True

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def relay(outbox: FakeOutbox, publish: Publish) -> OutboxRelay:
    return OutboxRelay(outbox, publish, make_breaker("kafka", lambda exc: True))


def test_published_rows_are_marked_sent_and_kafka_reported_ok() -> None:
    outbox = FakeOutbox(message(1), message(2))
    published: list[Sequence[OutboxMessage]] = []
    r = relay(outbox, published.append)

    assert r.relay_once() == 2

    assert outbox.sent == [message(1), message(2)]
    assert r.kafka_status() == "ok"


def test_rows_stay_unsent_while_kafka_is_down() -> None:
    outbox = FakeOutbox(message(1))

    def kafka_down(messages: Sequence[OutboxMessage]) -> None:
        raise ConnectionError("NoBrokersAvailable")

    r = relay(outbox, kafka_down)

    with pytest.raises(ConnectionError):
        r.relay_once()

    assert outbox.unsent == [message(1)]
    assert r.kafka_status() == "ConnectionError: NoBrokersAvailable"


def test_kafka_breaker_opens_so_the_relay_stops_waiting_on_a_dead_cluster() -> None:
    outbox = FakeOutbox(message(1))
    attempts: list[int] = []

    def kafka_down(messages: Sequence[OutboxMessage]) -> None:
        attempts.append(1)
        raise TimeoutError("flush timed out")

    r = relay(outbox, kafka_down)
    for _ in range(BREAKER_FAIL_MAX + 3):
        with pytest.raises((TimeoutError, pybreaker.CircuitBreakerError)):
            r.relay_once()

    assert len(attempts) == BREAKER_FAIL_MAX
    assert outbox.unsent == [message(1)]


def test_publisher_sends_key_and_payload_then_flushes() -> None:
    producer = FakeProducer()
    publisher = KafkaPublisher(lambda: producer)

    publisher.publish([message(7)])

    assert producer.sent == [("order-created", "7", {"order_id": 7})]
    assert producer.flushed


def test_publisher_fails_if_any_send_was_not_acked_and_starts_a_new_producer() -> None:
    producers = [FakeProducer(fail_with=RuntimeError("NotEnoughReplicas")), FakeProducer()]
    publisher = KafkaPublisher(lambda: producers.pop(0))
    first = producers[0]

    with pytest.raises(RuntimeError, match="NotEnoughReplicas"):
        publisher.publish([message(1)])
    assert first.closed

    publisher.publish([message(1)])
    assert producers == []
