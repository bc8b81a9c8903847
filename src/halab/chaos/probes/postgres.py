"""Numbered INSERTs through HAProxy's primary port; a write counts as acknowledged only when
its COMMIT returned. Afterwards the table is read back on the (possibly new) primary."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from halab.chaos.probes.base import Probe
from halab.chaos.records import Request, WriteCheck
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


class PostgresProbe(Probe):
    name = "postgres"

    def setup(self) -> None:
        # The pool checks each connection before lending it, so the dead ones a failover leaves
        # behind are replaced by new ones that HAProxy sends to the new primary.
        self.pool = ConnectionPool(CONNINFO, min_size=2, max_size=self.workers, timeout=2,
                                   check=ConnectionPool.check_connection, kwargs={"autocommit": True},
                                   # Retry connecting about every second, not with backoff to minutes:
                                   # the probe must see the new primary as soon as HAProxy does.
                                   reconnect_timeout=2.0,
                                   open=True, name="probe-postgres")
        with self.pool.connection(timeout=30) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS probe_writes (run_id text, seq int, at timestamptz DEFAULT now(),"
                " PRIMARY KEY (run_id, seq))"
            )

    def teardown(self) -> None:
        self.pool.close()

    def operation(self, seq: int) -> Request:
        started = self.clock()
        try:
            with self.pool.connection() as conn:
                # Autocommit: execute() returns once the COMMIT did, i.e. once the synchronous
                # standby has the WAL.
                conn.execute("INSERT INTO probe_writes (run_id, seq) VALUES (%s, %s)", (self.run_id, seq))
        except psycopg.OperationalError as e:
            return Request(self.name, started, self.clock() - started, "timeout" if "timeout" in str(e) else "error",
                           seq=seq, detail=str(e).strip()[:160])
        except Exception as e:  # pool timeout and the like: the write's outcome is unknown
            return Request(self.name, started, self.clock() - started, "error", seq=seq, detail=str(e).strip()[:160])
        return Request(self.name, started, self.clock() - started, "ok", seq=seq)

    def verify(self) -> WriteCheck:
        attempted, acknowledged = self.attempted(), self.acknowledged()
        try:
            with psycopg.connect(CONNINFO) as conn:
                rows = conn.execute("SELECT seq FROM probe_writes WHERE run_id = %s", (self.run_id,)).fetchall()
        except psycopg.Error as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        return WriteCheck(self.name, attempted, acknowledged, frozenset(seq for (seq,) in rows))
