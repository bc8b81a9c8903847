"""Probes: clients that keep using the lab while a fault is active, and record what they saw.

Each probe is open loop, as Jepsen's generators are: operation n is due at start + n / rate,
whatever the operations before it are doing, and its latency runs from that due time. Every
operation runs on its own worker from a pool sized for the probe's worst case (rate × the longest
an operation can take by its client's own timeouts), so hung requests never delay later ones:
an outage shows up as failures and slow answers at the full rate, never as silence. Write probes
number their writes and, after the scenario, read the store back to classify every write
(`verify`).
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable

from halab.chaos.engine.records import Outcome, ProbeTimeline, Request, WriteCheck

Clock = Callable[[], float]

# How long stop() waits for operations still in flight. One that has not returned by then is
# recorded as a timeout at the stop and counts as attempted with an unknown outcome, never as
# acknowledged.
STOP_GRACE_S = 10.0
# Workers beyond rate × max_operation_s, for the scheduler's own jitter.
SPARE_WORKERS = 8


@dataclass(frozen=True)
class Answer:
    """What one operation got back; the probe adds when it was due and how long it took."""

    outcome: Outcome = "ok"
    status: int | None = None
    replica: str | None = None
    lb: str | None = None
    detail: str | None = None


class Probe(ABC):
    name: str
    # The longest one operation can take, by the client's own timeouts: sizes the worker pool.
    max_operation_s: float = 5.0

    def __init__(self, clock: Clock, rate: float, run_id: str) -> None:
        self.clock = clock
        self.rate = rate
        self.run_id = run_id
        self.timeline = ProbeTimeline(self.name, rate=rate)
        self.workers = math.ceil(rate * self.max_operation_s) + SPARE_WORKERS
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._due: dict[int, float] = {}  # seq -> when it was due, for every operation scheduled
        self._recorded: set[int] = set()
        self._futures: list[Future] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.setup()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"probe-{self.name}")
        self._thread = threading.Thread(target=self._schedule, name=f"probe-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops scheduling at once, then waits up to STOP_GRACE_S for what is in flight."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._pool:
            wait(self._futures, timeout=STOP_GRACE_S)
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._record_left_behind()
        try:
            self.teardown()
        except Exception:  # closing a client of a broken store must not stop the scenario
            pass

    def _schedule(self) -> None:
        started, seq = self.clock(), 0
        while not self._stop.is_set():
            seq += 1
            due = started + (seq - 1) / self.rate  # from the start, so no drift accumulates
            self._stop.wait(max(0.0, due - self.clock()))
            if self._stop.is_set():
                break
            with self._lock:
                self._due[seq] = due
            self._futures.append(self._pool.submit(self._run_one, seq, due))

    def _run_one(self, seq: int, due: float) -> None:
        sent = self.clock()
        try:
            answer = self.operation(seq)
        except Exception as e:  # a probe must never die from what it is there to observe
            answer = Answer("error", detail=f"probe bug: {e!r}"[:200])
        self._record(seq, due, self.clock(), answer, queued_s=sent - due)

    def _record(self, seq: int, due: float, done: float, answer: Answer, *, queued_s: float = 0.0) -> None:
        record = Request(self.name, due, done - due, answer.outcome, status=answer.status,
                         seq=seq if self.is_write(seq) else None, replica=answer.replica, lb=answer.lb,
                         detail=answer.detail, queued_s=max(0.0, queued_s))
        with self._lock:
            if seq in self._recorded:  # answered after the stop already recorded it
                return
            self._recorded.add(seq)
            self.timeline.requests.append(record)

    def _record_left_behind(self) -> None:
        """An operation still in flight after the grace period is a timeout as a client sees it
        (and its write's outcome is unknown): recorded, so that silence never passes for health."""
        now = self.clock()
        with self._lock:
            left = sorted(set(self._due) - self._recorded)
        for seq in left:
            self._record(seq, self._due[seq], now, Answer("timeout", detail="still in flight when the probe stopped"))

    # -- what each probe defines -----------------------------------------------------------------
    def setup(self) -> None:
        """Connect, create what the probe writes into."""

    def teardown(self) -> None:
        """Close connections."""

    @abstractmethod
    def operation(self, seq: int) -> Answer:
        """One operation, numbered `seq`; what it got back (never raises for lab failures)."""

    def verify(self) -> WriteCheck | None:
        """Reads the store back and classifies every write; None for probes that do not write."""
        return None

    # -- helpers ---------------------------------------------------------------------------------
    def is_write(self, seq: int) -> bool:
        """Whether operation `seq` writes (all do, but for the HTTP probe's reads)."""
        return True

    def attempted(self) -> frozenset[int]:
        """Every write sent, answered or not: one still in flight at stop() has an unknown outcome."""
        with self._lock:
            return frozenset(s for s in self._due if self.is_write(s))

    def acknowledged(self) -> frozenset[int]:
        with self._lock:
            return frozenset(r.seq for r in self.timeline.requests if r.seq is not None and r.ok)
