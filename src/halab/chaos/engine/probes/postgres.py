"""Numbered INSERTs through HAProxy's primary port; a write counts as acknowledged only when
its COMMIT returned. Afterwards the table is read back on the (possibly new) primary."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from halab.chaos.engine.probes.base import Answer, Probe
from halab.chaos.engine.records import WriteCheck
from halab.lab import topology

# A connection whose far end vanished (the VIP moved to a node that never saw it) gets no
# answer at all: keepalives and tcp_user_timeout turn that silent hang into an error within
# ~3 s, as any client with a timeout would see it. statement_timeout alone cannot: the server
# never receives the statement.
CONNINFO = (
    f"host={topology.VIP} port={topology.PG_PRIMARY_PORT} dbname=probes user=app password=app "
    "connect_timeout=2 keepalives=1 keepalives_idle=1 keepalives_interval=1 keepalives_count=2 "
    "tcp_user_timeout=3000 options='-c statement_timeout=3000'"
)


# Waiting for a pooled connection before it counts as an error: a client with a pool waits so.
POOL_WAIT_S = 2.0
# Enough connections that the probe's own pool is not what queues writes in a failover.
POOL_SIZE = 32
# The probe must reach the new primary as soon as HAProxy routes to it, as a new psql does.
# psycopg_pool retries a failed connect after 1 s, then 2 s, until this limit, then gives up;
# a request that finds the pool empty starts a new attempt at once. At 2 s the backoff kept
# pooled writes waiting 1.15 s after psql's first success (CI, 2026-11-23: journal 9.44 s,
# psql 7.88 s); at 0.25 s attempts follow the requests (20 a second), one at a time.
RECONNECT_GIVE_UP_S = 0.25


class PostgresProbe(Probe):
    name = "postgres"
    # pool wait + connect (2 s) + statement or tcp_user_timeout (3 s)
    max_operation_s = POOL_WAIT_S + 2.0 + 3.0

    def setup(self) -> None:
        # The pool checks each connection before lending it, so the dead ones a failover leaves
        # behind are replaced by new ones that HAProxy sends to the new primary.
        self.pool = ConnectionPool(CONNINFO, min_size=2, max_size=POOL_SIZE, timeout=POOL_WAIT_S,
                                   check=ConnectionPool.check_connection, kwargs={"autocommit": True},
                                   reconnect_timeout=RECONNECT_GIVE_UP_S,
                                   open=True, name="probe-postgres")
        with self.pool.connection(timeout=30) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS probe_writes (run_id text, seq int, at timestamptz DEFAULT now(),"
                " PRIMARY KEY (run_id, seq))"
            )

    def teardown(self) -> None:
        self.pool.close()

    def operation(self, seq: int) -> Answer:
        try:
            with self.pool.connection() as conn:
                # Autocommit: execute() returns once the COMMIT did, i.e. once the synchronous
                # standby has the WAL.
                conn.execute("INSERT INTO probe_writes (run_id, seq) VALUES (%s, %s)", (self.run_id, seq))
        except psycopg.OperationalError as e:
            return Answer("timeout" if "timeout" in str(e) else "error", detail=str(e).strip()[:160])
        except Exception as e:  # pool timeout and the like: the write's outcome is unknown
            return Answer("error", detail=str(e).strip()[:160])
        return Answer()

    def verify(self) -> WriteCheck:
        attempted, acknowledged = self.attempted(), self.acknowledged()
        try:
            with psycopg.connect(CONNINFO) as conn:
                rows = conn.execute("SELECT seq FROM probe_writes WHERE run_id = %s", (self.run_id,)).fetchall()
        except psycopg.Error as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        return WriteCheck(self.name, attempted, acknowledged, frozenset(seq for (seq,) in rows))
