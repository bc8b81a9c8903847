"""Publishes outbox messages to Kafka and confirms that every one of them was acknowledged."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer

from halab.app.config import Settings

log = logging.getLogger(__name__)
FLUSH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    topic: str
    key: str
    payload: dict[str, Any]


def kafka_producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=list(settings.kafka_bootstrap),
        client_id=f"halab-{settings.replica_name}",
        # All in-sync replicas must have the event before the outbox row is marked sent.
        acks="all",
        # Lets the producer retry a send after a broker failover without writing it twice.
        enable_idempotence=True,
        retries=5,
        linger_ms=5,
        request_timeout_ms=5000,
        # A send gives up within the flush timeout instead of the 120 s default.
        delivery_timeout_ms=int(FLUSH_TIMEOUT_S * 1000) - 1000,
        # Without brokers, metadata for send() would block for the 60 s default.
        max_block_ms=5000,
        key_serializer=str.encode,
        value_serializer=lambda payload: json.dumps(payload).encode(),
    )


class KafkaPublisher:
    """Creates the producer lazily and discards it after a failure, so the next try starts clean."""

    def __init__(self, make_producer: Callable[[], KafkaProducer]) -> None:
        self._make_producer = make_producer
        self._producer: KafkaProducer | None = None

    def publish(self, messages: Sequence[OutboxMessage]) -> None:
        if self._producer is None:
            self._producer = self._make_producer()
        try:
            futures = [
                self._producer.send(m.topic, key=m.key, value=m.payload) for m in messages
            ]
            self._producer.flush(timeout=FLUSH_TIMEOUT_S)
            # flush() returns even when sends failed; only the futures say whether Kafka acked.
            for future in futures:
                future.get(timeout=0)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception as exc:  # closing a broken producer must not mask the real error
                log.debug("closing the Kafka producer failed: %s", exc)
