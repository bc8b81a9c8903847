"""The transactional outbox relay: moves committed order events from Postgres to Kafka.

Delivery is at least once: if the process dies after Kafka acked but before the rows were marked
sent, they are published again. Consumers dedupe on the order id (message key and payload).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import pybreaker
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from halab.app.db import SchemaGate
from halab.app.kafka_publisher import OutboxMessage

log = logging.getLogger(__name__)
BATCH_SIZE = 100
IDLE_WAIT_S = 0.2
# After a failure, wait longer so a Kafka or Postgres outage does not turn into a busy loop.
ERROR_WAIT_S = 1.0

Publish = Callable[[Sequence[OutboxMessage]], None]


class Outbox(Protocol):
    def relay_batch(self, publish: Publish) -> int: ...


class PostgresOutbox:
    def __init__(self, pool: ConnectionPool, schema: SchemaGate) -> None:
        self._pool = pool
        self._schema = schema

    def relay_batch(self, publish: Publish) -> int:
        """Publishes up to BATCH_SIZE unsent rows and marks them sent, all in one transaction."""
        with self._pool.connection() as conn:
            self._schema.ensure(conn)
            with conn.transaction():
                # SKIP LOCKED: the six relays (3 replicas x 2 workers) each take different rows.
                messages = (
                    conn.cursor(row_factory=class_row(OutboxMessage))
                    .execute(
                        "SELECT id, topic, key, payload FROM outbox WHERE sent_at IS NULL"
                        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                        (BATCH_SIZE,),
                    )
                    .fetchall()
                )
                if not messages:
                    return 0
                # If this raises, the transaction rolls back and the rows stay unsent for next time.
                publish(messages)
                conn.execute(
                    "UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)",
                    ([m.id for m in messages],),
                )
        return len(messages)


class OutboxRelay:
    """A daemon thread per gunicorn worker that keeps draining the outbox until stopped."""

    def __init__(
        self, outbox: Outbox, publish: Publish, kafka_breaker: pybreaker.CircuitBreaker
    ) -> None:
        self._outbox = outbox
        self._publish = publish
        self._kafka_breaker = kafka_breaker
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._kafka_status = "ok (nothing relayed yet)"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def kafka_status(self) -> str:
        return self._kafka_status

    def relay_once(self) -> int:
        return self._outbox.relay_batch(self._publish_guarded)

    def _publish_guarded(self, messages: Sequence[OutboxMessage]) -> None:
        # While Kafka is down the breaker fails the batch at once instead of waiting on timeouts.
        try:
            with self._kafka_breaker.calling():
                self._publish(messages)
        except Exception as exc:
            self._kafka_status = f"{type(exc).__name__}: {exc}"
            raise
        self._kafka_status = "ok"

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                relayed = self.relay_once()
            except Exception as exc:
                log.warning("outbox relay failed, will retry: %s", exc)
                self._stopping.wait(ERROR_WAIT_S)
                continue
            if relayed == 0:
                self._stopping.wait(IDLE_WAIT_S)
