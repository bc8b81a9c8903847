"""HTTP through the VIP, as a client of the orders service sees it.

Two of every three operations are POST /orders with an Idempotency-Key (writes, checked
afterwards in Postgres as the `http` store); the third reads back a recent order. Every request
opens a new connection, as independent clients would: a kept-alive connection to a dead lb
would measure the client's socket, not the service.
"""

from __future__ import annotations

import psycopg
import requests

from halab.chaos.engine.probes.base import Answer, Probe
from halab.chaos.engine.records import WriteCheck
from halab.lab import topology

# Connect quickly or call it a timeout (a VIP in the middle of moving answers nothing);
# reads get longer, since a write waits for the synchronous standby.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 3.0


def classify_exception(e: requests.RequestException) -> str:
    if isinstance(e, requests.Timeout):
        return "timeout"
    text = str(e).lower()
    if "refused" in text:
        return "refused"
    if "reset" in text or "aborted" in text or "remotedisconnected" in text or "without response" in text:
        return "reset"
    return "error"


class HttpProbe(Probe):
    name = "http"
    max_operation_s = CONNECT_TIMEOUT_S + READ_TIMEOUT_S

    def __init__(self, *args, base_url: str = f"http://{topology.VIP}", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self._recent_id: int | None = None

    def key(self, seq: int) -> str:
        return f"probe-{self.run_id}-{seq}"

    def is_write(self, seq: int) -> bool:
        return seq % 3 != 0

    def operation(self, seq: int) -> Answer:
        is_write = self.is_write(seq)
        # A read asks for a recent order (served from a replica); before any exists, liveness.
        read_path = f"/orders/{self._recent_id}" if self._recent_id is not None else "/healthz"
        try:
            if is_write:
                resp = requests.post(
                    f"{self.base_url}/orders",
                    json={"customer": f"probe-{self.run_id}", "item": "probe", "quantity": 1},
                    headers={"Idempotency-Key": self.key(seq)},
                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                )
            else:
                resp = requests.get(f"{self.base_url}{read_path}", timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except requests.RequestException as e:
            return Answer(classify_exception(e), detail=str(e)[:160])
        ok = resp.status_code in ((200, 201) if is_write else (200,))
        if ok and is_write:
            self._recent_id = resp.json().get("id", self._recent_id)
        return Answer("ok" if ok else "http_error", status=resp.status_code, replica=resp.headers.get("X-Served-By"),
                      lb=resp.headers.get("X-LB-Node"), detail=None if ok else resp.text[:160])

    def verify(self) -> WriteCheck:
        """Which of the POSTed orders exist, asked of the primary through HAProxy."""
        attempted, acknowledged = self.attempted(), self.acknowledged()
        try:
            with psycopg.connect(host=topology.VIP, port=topology.PG_PRIMARY_PORT, dbname="orders",
                                 user="app", password="app", connect_timeout=3) as conn:
                rows = conn.execute(
                    "SELECT idempotency_key FROM orders WHERE customer = %s", (f"probe-{self.run_id}",)
                ).fetchall()
        except psycopg.Error as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        prefix = f"probe-{self.run_id}-"
        present = frozenset(int(k[len(prefix):]) for (k,) in rows if k and k.startswith(prefix))
        return WriteCheck(self.name, attempted, acknowledged, present)
