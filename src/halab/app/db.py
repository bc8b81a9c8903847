"""Orders in Postgres: connection pools behind HAProxy, the schema, and the OrderStore."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from halab.app.config import Settings
from halab.app.orders import NewOrder, Order
from halab.app.ports import CreateOutcome
from halab.app.resilience import DependencyGuard

# Any constant works, as long as every replica uses the same one to serialise schema creation.
SCHEMA_LOCK_ID = 7_700_001
# For calls that have a better plan than waiting: the readiness probe, and replica reads that
# can fall back to the primary.
SHORT_CHECKOUT_TIMEOUT_S = 1.0

SCHEMA_STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS orders (
        id bigserial PRIMARY KEY,
        idempotency_key text UNIQUE,
        customer text NOT NULL,
        item text NOT NULL,
        quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
        served_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE IF NOT EXISTS outbox (
        id bigserial PRIMARY KEY,
        aggregate_id bigint NOT NULL,
        topic text NOT NULL,
        key text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
    )""",
    # The relay only ever looks for unsent rows; keep that scan small as the table grows.
    "CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL",
)
# Not shorter: past this limit the pool gives up and regrows one connection at a time. A 0.3 s
# limit, tried in six Patroni kills, brought the app no closer to Postgres, and once left a
# worker's threads queueing for 5 s after the failover.
RECONNECT_BACKOFF_LIMIT_S = 2.0
ORDER_COLUMNS = "id, customer, item, quantity, served_by, created_at"


@dataclass(frozen=True)
class Pools:
    write: ConnectionPool
    read: ConnectionPool

    def close(self) -> None:
        self.write.close()
        self.read.close()


def connection_kwargs(settings: Settings, port: int) -> dict[str, Any]:
    return {
        "host": settings.pg_host,
        "port": port,
        "dbname": settings.pg_db,
        "user": settings.pg_user,
        "password": settings.pg_password,
        "application_name": f"halab-{settings.replica_name}",
        "connect_timeout": settings.pg_connect_timeout_s,
        "options": f"-c statement_timeout={settings.pg_statement_timeout_ms}",
        # A primary that vanished (VIP moved, container killed) sends no RST; keepalives and
        # tcp_user_timeout turn the silent hang into an OperationalError within seconds.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 5000,
    }


def open_pools(settings: Settings) -> Pools:
    def make(name: str, port: int, extra: dict[str, Any]) -> ConnectionPool:
        pool = ConnectionPool(
            kwargs=connection_kwargs(settings, port) | extra,
            name=name,
            min_size=1,
            max_size=4,
            timeout=settings.pg_checkout_timeout_s,
            # Connections to the old primary die on failover; test each one before handing it out.
            check=ConnectionPool.check_connection,
            # The pool retries a failed connect with exponential backoff (1, 2, 4, 8 s ...) until
            # this many seconds have passed, then starts again at 1 s. Left at its 300 s default, a
            # 9 s failover leaves it waiting up to 8 s more after the new primary is up.
            reconnect_timeout=RECONNECT_BACKOFF_LIMIT_S,
            open=False,
        )
        # Connect in the background: the app must start (and report 503) while Postgres is down.
        pool.open(wait=False)
        return pool

    return Pools(
        # If HAProxy still points at a demoted node, refuse it and let the pool reconnect.
        write=make("write", settings.pg_write_port, {"target_session_attrs": "read-write"}),
        read=make("read", settings.pg_read_port, {}),
    )


class SchemaGate:
    """Creates the schema on first use; after a failure the next caller simply tries again."""

    def __init__(self) -> None:
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self, conn: psycopg.Connection[Any]) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with conn.transaction():
                # Three replicas start together; concurrent CREATE TABLE IF NOT EXISTS can still
                # collide in the catalog, so take turns.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
                for statement in SCHEMA_STATEMENTS:
                    conn.execute(statement)
            self._ready = True


class PostgresOrderStore:
    def __init__(
        self,
        pools: Pools,
        schema: SchemaGate,
        primary: DependencyGuard,
        replicas: DependencyGuard,
        topic: str,
    ) -> None:
        self._pools = pools
        self._schema = schema
        self._primary = primary
        self._replicas = replicas
        self._topic = topic

    def create(
        self, order: NewOrder, *, idempotency_key: str | None, served_by: str
    ) -> CreateOutcome:
        def insert() -> CreateOutcome:
            with self._pools.write.connection() as conn:
                self._schema.ensure(conn)
                with conn.transaction():
                    return self._insert_with_outbox(conn, order, idempotency_key, served_by)

        # With a key, a retried INSERT cannot duplicate the order: ON CONFLICT finds the first one.
        return self._primary.call(insert, idempotent=idempotency_key is not None)

    def _insert_with_outbox(
        self,
        conn: psycopg.Connection[Any],
        order: NewOrder,
        idempotency_key: str | None,
        served_by: str,
    ) -> CreateOutcome:
        cur = conn.cursor(row_factory=class_row(Order))
        created = cur.execute(
            "INSERT INTO orders (idempotency_key, customer, item, quantity, served_by)"
            " VALUES (%s, %s, %s, %s, %s)"
            f" ON CONFLICT (idempotency_key) DO NOTHING RETURNING {ORDER_COLUMNS}",
            (idempotency_key, order.customer, order.item, order.quantity, served_by),
        ).fetchone()
        if created is None:
            # ON CONFLICT waited for the other insert to commit, so the original is visible now.
            original = cur.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders WHERE idempotency_key = %s", (idempotency_key,)
            ).fetchone()
            if original is None:
                raise RuntimeError(f"key {idempotency_key!r} conflicted, yet no order has it")
            return CreateOutcome(order=original, created=False)
        conn.execute(
            "INSERT INTO outbox (aggregate_id, topic, key, payload) VALUES (%s, %s, %s, %s)",
            (created.id, self._topic, str(created.id), Jsonb(order_created_event(created))),
        )
        return CreateOutcome(order=created, created=True)

    def find_on_replica(self, order_id: int) -> Order | None:
        def select() -> Order | None:
            with self._pools.read.connection(timeout=SHORT_CHECKOUT_TIMEOUT_S) as conn:
                try:
                    return _select_order(conn, order_id)
                except psycopg.errors.UndefinedTable:
                    return None  # the schema has not replicated yet; the primary will know

        # No retries: the caller falls back to the primary, which is the better use of the time.
        return self._replicas.call(select, retry=False)

    def find_on_primary(self, order_id: int) -> Order | None:
        def select() -> Order | None:
            with self._pools.write.connection() as conn:
                self._schema.ensure(conn)
                return _select_order(conn, order_id)

        return self._primary.call(select)

    def ping(self) -> None:
        def select_one() -> None:
            with self._pools.write.connection(timeout=SHORT_CHECKOUT_TIMEOUT_S) as conn:
                conn.execute("SELECT 1")

        self._primary.call(select_one, retry=False)


def _select_order(conn: psycopg.Connection[Any], order_id: int) -> Order | None:
    cur = conn.cursor(row_factory=class_row(Order))
    return cur.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = %s", (order_id,)).fetchone()


def order_created_event(order: Order) -> dict[str, Any]:
    # Consumers dedupe on order_id: the relay delivers at least once.
    return {
        "event": "order-created",
        "order_id": order.id,
        "customer": order.customer,
        "item": order.item,
        "quantity": order.quantity,
        "created_at": order.created_at.isoformat(),
        "served_by": order.served_by,
    }
