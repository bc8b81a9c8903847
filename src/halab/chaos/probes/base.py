"""Probes: clients that keep using the lab while a fault is active, and record what they saw.

Each probe sends operations at a fixed rate on its own schedule (open loop: a stalled request
does not slow the next one down, so an outage shows up as failures, not as silence), runs them
on a small thread pool, and records one `Request` per operation. Write probes number their
writes and, after the scenario, read the store back to classify every write (`verify`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable

from halab.chaos.records import ProbeTimeline, Request, WriteCheck

Clock = Callable[[], float]

# How long stop() waits for operations still in flight. One that has not returned by then is
# left behind and counts as attempted with an unknown outcome, never as acknowledged.
STOP_GRACE_S = 10.0


class Probe(ABC):
    name: str
    workers = 8

    def __init__(self, clock: Clock, rate: float, run_id: str) -> None:
        self.clock = clock
        self.rate = rate
        self.run_id = run_id
        self.timeline = ProbeTimeline(self.name)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._seq = 0
        self._submitted: set[int] = set()
        self._futures: list[Future] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.setup()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"probe-{self.name}")
        self._thread = threading.Thread(target=self._schedule, name=f"probe-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._pool:
            wait(self._futures, timeout=STOP_GRACE_S)
            self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self.teardown()
        except Exception:  # closing a client of a broken store must not stop the scenario
            pass

    def _schedule(self) -> None:
        interval = 1.0 / self.rate
        next_at = self.clock()
        while not self._stop.is_set():
            self._seq += 1
            self._submitted.add(self._seq)
            self._futures.append(self._pool.submit(self._run_one, self._seq))
            next_at += interval
            self._stop.wait(max(0.0, next_at - self.clock()))

    def _run_one(self, seq: int) -> None:
        try:
            record = self.operation(seq)
        except Exception as e:  # a probe must never die from what it is there to observe
            record = Request(self.name, self.clock(), 0.0, "error", seq=seq, detail=f"probe bug: {e!r}"[:200])
        with self._lock:
            self.timeline.requests.append(record)

    # -- what each probe defines -----------------------------------------------------------------
    def setup(self) -> None:
        """Connect, create what the probe writes into."""

    def teardown(self) -> None:
        """Close connections."""

    @abstractmethod
    def operation(self, seq: int) -> Request:
        """One operation, numbered `seq`; returns its record (never raises for lab failures)."""

    def verify(self) -> WriteCheck | None:
        """Reads the store back and classifies every write; None for probes that do not write."""
        return None

    # -- helpers ---------------------------------------------------------------------------------
    def is_write(self, seq: int) -> bool:
        """Whether operation `seq` writes (all do, but for the HTTP probe's reads)."""
        return True

    def attempted(self) -> frozenset[int]:
        """Every write sent, answered or not: one still in flight at stop() has an unknown outcome."""
        return frozenset(s for s in self._submitted if self.is_write(s))

    def acknowledged(self) -> frozenset[int]:
        return frozenset(r.seq for r in self.timeline.requests if r.seq is not None and r.ok)
