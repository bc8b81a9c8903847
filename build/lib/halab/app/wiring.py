"""Builds the real dependencies (Postgres, Redis via Sentinel, Kafka) from Settings."""

from __future__ import annotations

from functools import partial

from halab.app.cache import RedisCartStore, sentinel_master
from halab.app.config import Settings
from halab.app.db import PostgresOrderStore, SchemaGate, open_pools
from halab.app.kafka_publisher import KafkaPublisher, kafka_producer
from halab.app.outbox import OutboxRelay, PostgresOutbox
from halab.app.ports import Dependencies
from halab.app.resilience import DependencyGuard, make_breaker


def build_dependencies(settings: Settings) -> Dependencies:
    """Creates clients without waiting for any server: pools connect in the background."""
    pools = open_pools(settings)
    schema = SchemaGate()
    orders = PostgresOrderStore(
        pools,
        schema,
        primary=DependencyGuard.for_dependency("postgres"),
        # Its own breaker: dead replicas must not make the primary look down.
        replicas=DependencyGuard.for_dependency("postgres-replicas"),
        topic=settings.kafka_topic,
    )
    carts = RedisCartStore(sentinel_master(settings), DependencyGuard.for_dependency("redis"))
    deps = Dependencies(orders=orders, carts=carts, closers=[carts.close, pools.close])
    if settings.outbox_relay_enabled:
        publisher = KafkaPublisher(partial(kafka_producer, settings))
        deps.outbox_relay = OutboxRelay(
            PostgresOutbox(pools.write, schema),
            publisher.publish,
            # Every Kafka error counts: the relay has no business errors, only "not delivered".
            kafka_breaker=make_breaker("kafka", lambda exc: True),
        )
        deps.closers.insert(0, publisher.close)
    return deps
