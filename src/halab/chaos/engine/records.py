"""What probes record and what a scenario measures: plain data, shared by probes, measures,
the journal and every view rendered from it.

Times are seconds on one monotonic clock, relative to the run's start (`t=0`), so timelines
from different probes line up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# ok: the operation was acknowledged. Everything else is a failure as a client sees it.
Outcome = Literal["ok", "http_error", "timeout", "refused", "reset", "error"]
OUTCOMES: tuple[str, ...] = ("ok", "http_error", "timeout", "refused", "reset", "error")


@dataclass(frozen=True)
class Request:
    """One operation of a probe: an HTTP request, an INSERT+COMMIT, a SET, a produce."""

    probe: str  # http, postgres, redis, kafka
    # When the request was due on the probe's fixed schedule (open loop), and the time from then
    # until it completed: a request that waited for a free worker or a pooled connection, or was
    # retried inside its client, shows that wait as latency.
    t_send: float
    latency: float
    outcome: Outcome
    status: int | None = None  # HTTP status when there was a response
    seq: int | None = None  # write probes: the write's number (the value checked afterwards)
    replica: str | None = None  # HTTP: X-Served-By
    lb: str | None = None  # HTTP: X-LB-Node
    detail: str | None = None  # short error text
    queued_s: float = 0.0  # how long after t_send the probe really sent it (diagnostic)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class WriteCheck:
    """A write probe's ledger checked against what the store holds afterwards, as Jepsen's set
    checker does. `acknowledged` and `unknown` partition the attempted writes; `present` is what
    the read-back found (possibly with duplicates, which only Kafka can have)."""

    store: str
    attempted: frozenset[int]
    acknowledged: frozenset[int]
    present: frozenset[int]
    duplicates: int = 0
    read_error: str | None = None  # the read-back itself failed: nothing can be concluded

    @property
    def unknown(self) -> frozenset[int]:
        return self.attempted - self.acknowledged

    @property
    def ok(self) -> frozenset[int]:
        return self.acknowledged & self.present

    @property
    def lost(self) -> frozenset[int]:
        return self.acknowledged - self.present

    @property
    def unexpected(self) -> frozenset[int]:
        return self.present - self.attempted

    @property
    def recovered(self) -> frozenset[int]:
        return self.unknown & self.present


@dataclass(frozen=True)
class FaultWindow:
    """When the fault was injected and reverted (run-relative seconds)."""

    injected_at: float
    reverted_at: float | None
    # When the fault's inject() returned: a busy Docker engine can take seconds to carry out a
    # kill. Measures count from `injected_at` (the less flattering choice); the journal shows both.
    inject_returned_at: float | None = None


@dataclass(frozen=True)
class RoleChange:
    role: str
    old_holder: str | None
    new_holder: str | None
    first_seen_at: float | None  # run-relative time the new holder was first observed


@dataclass
class ProbeTimeline:
    """Everything one probe recorded during a scenario."""

    probe: str
    requests: list[Request] = field(default_factory=list)
    check: WriteCheck | None = None
    rate: float | None = None  # requests per second the probe scheduled
