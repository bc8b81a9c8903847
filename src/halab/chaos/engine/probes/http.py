"""HTTP through the VIP, as a client of the service in the app slots sees it.

What it sends is the service's contract (`halab.lab.service`): halab's own orders service by
default, or a team's. Of every `writes_per_read + 1` operations, the first reads back a recent
write and the others write, each with a unique key sent as its Idempotency-Key; afterwards the
contract's read-back query asks Postgres which writes exist (the `http` store). Every request opens
a new connection, as independent clients would: a kept-alive connection to a dead lb would measure
the client's socket, not the service.
"""

from __future__ import annotations

import psycopg
import requests

from halab.chaos.engine.probes.base import Answer, Probe
from halab.chaos.engine.records import WriteCheck
from halab.lab import service, topology

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

    def __init__(self, *args, base_url: str = f"http://{topology.VIP}",
                 contract: service.ServiceContract | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        # None: the one the lab runs, asked when the probe starts (a label on app1).
        self.contract = contract
        self._recent_id: object | None = None

    def setup(self) -> None:
        if self.contract is None:
            self.contract = service.current()

    @property
    def client(self) -> str:
        return f"probe-{self.run_id}"

    def key(self, seq: int) -> str:
        return f"{self.client}-{seq}"

    def is_write(self, seq: int) -> bool:
        return seq % (self._spec.writes_per_read + 1) != 0

    @property
    def _spec(self) -> service.ProbeSpec:
        return (self.contract or service.ORDERS).probe

    def operation(self, seq: int) -> Answer:
        spec = self._spec
        is_write = self.is_write(seq)
        try:
            if is_write:
                fields = {"key": self.key(seq), "client": self.client, "seq": seq}
                resp = requests.request(
                    spec.write.method, f"{self.base_url}{spec.write.path.format_map(fields)}",
                    json=service.fill(spec.write.body, fields) if spec.write.body is not None else None,
                    headers={"Idempotency-Key": self.key(seq)},
                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                )
            else:
                # A recent write, read back (a replica may serve it); before any exists, liveness.
                path = (spec.read.path.format(id=self._recent_id) if self._recent_id is not None
                        else spec.read.before_first)
                resp = requests.get(f"{self.base_url}{path}", timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except requests.RequestException as e:
            return Answer(classify_exception(e), detail=str(e)[:160])
        ok = resp.status_code in (spec.write.success if is_write else spec.read.success)
        if ok and is_write and spec.write.id_field:
            self._recent_id = self._answer_id(resp, spec.write.id_field)
        return Answer("ok" if ok else "http_error", status=resp.status_code, replica=resp.headers.get("X-Served-By"),
                      lb=resp.headers.get("X-LB-Node"), detail=None if ok else resp.text[:160])

    def _answer_id(self, resp: requests.Response, field: str) -> object | None:
        try:
            body = resp.json()
        except ValueError:
            return self._recent_id
        found = body.get(field) if isinstance(body, dict) else None
        return self._recent_id if found is None else found

    def verify(self) -> WriteCheck:
        """Which of the writes exist, by the contract's read-back query on the primary through HAProxy."""
        attempted, acknowledged = self.attempted(), self.acknowledged()
        readback = self._spec.readback
        try:
            with psycopg.connect(host=topology.VIP, port=topology.PG_PRIMARY_PORT, dbname=readback.database,
                                 user="app", password="app", connect_timeout=3) as conn:
                rows = conn.execute(readback.sql, {"client": self.client}).fetchall()
        except psycopg.Error as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        prefix = f"{self.client}-"
        present = frozenset(int(k[len(prefix):]) for (k, *_) in rows
                            if isinstance(k, str) and k.startswith(prefix) and k[len(prefix):].isdigit())
        return WriteCheck(self.name, attempted, acknowledged, present)
