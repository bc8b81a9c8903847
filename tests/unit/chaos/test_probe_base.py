"""The probe scheduler: open loop, latency from the due time, and its ledger, driven by fake
operations (no lab)."""

import threading
import time

import pytest

from halab.chaos.engine.probes import base
from halab.chaos.engine.probes.base import Answer


class FakeProbe(base.Probe):
    name = "fake"
    max_operation_s = 1.0

    def __init__(self, *args, hang: set[int] = frozenset(), fail_on: set[int] = frozenset(), signal_at: int | None = None, **kw):
        super().__init__(*args, **kw)
        self.hang, self.fail_on, self.signal_at = hang, fail_on, signal_at
        self.release = threading.Event()
        self.reached = threading.Event()

    def operation(self, seq: int) -> Answer:
        if seq == self.signal_at:
            self.reached.set()
        if seq in self.hang:
            self.release.wait(5)
        return Answer("error" if seq in self.fail_on else "ok")


def monotonic_from_zero():
    t0 = time.monotonic()
    return lambda: time.monotonic() - t0


def test_hung_operations_do_not_delay_the_ones_due_after_them():
    # The first 20 operations hang; at 200/s, the next 40 are still sent on time.
    probe = FakeProbe(monotonic_from_zero(), rate=200, run_id="t", hang=set(range(1, 21)), signal_at=60)
    probe.start()
    try:
        assert probe.reached.wait(5)
    finally:
        probe.release.set()
        probe.stop()
    by_seq = {r.seq: r for r in probe.timeline.requests}
    later = [by_seq[s] for s in range(21, 61)]
    assert all(r.ok for r in later)
    # Reaching operation 60 while 1-20 still hang is the proof: with workers to spare, none of
    # the later ones waited for a hung one. They are due exactly every 5 ms from the start.
    assert [round(r.t_send - by_seq[1].t_send, 6) for r in later] == [round((s - 1) / 200, 6) for s in range(21, 61)]
    assert probe.timeline.rate == 200


def test_latency_runs_from_the_due_time_not_from_when_a_worker_picked_it_up():
    times = iter([10.5, 11.0])  # sent half a second late, answered half a second after that
    probe = FakeProbe(lambda: next(times), rate=20, run_id="t")
    probe._due[7] = 10.0
    probe._run_one(7, 10.0)
    (record,) = probe.timeline.requests
    assert (record.t_send, record.latency, record.queued_s, record.seq) == (10.0, 1.0, 0.5, 7)


def test_an_operation_still_in_flight_at_stop_is_a_timeout_and_an_unknown_write(monkeypatch):
    monkeypatch.setattr(base, "STOP_GRACE_S", 0.05)
    probe = FakeProbe(monotonic_from_zero(), rate=1000, run_id="t", hang={3}, fail_on={2}, signal_at=3)
    probe.start()
    assert probe.reached.wait(5)
    probe.stop()
    probe.release.set()
    left = next(r for r in probe.timeline.requests if r.seq == 3)
    assert left.outcome == "timeout" and left.detail == "still in flight when the probe stopped"
    assert left.latency > 0
    assert 3 in probe.attempted() and 3 not in probe.acknowledged()
    assert 2 in probe.attempted() and 2 not in probe.acknowledged()
    assert 1 in probe.acknowledged()
    # Every operation scheduled is recorded exactly once.
    assert sorted(r.seq for r in probe.timeline.requests) == sorted(probe.attempted())


def test_an_operation_that_raises_is_recorded_as_an_error_not_lost():
    class Broken(FakeProbe):
        def operation(self, seq):
            if seq == 1:
                self.reached.set()
            raise RuntimeError("bug")

    probe = Broken(monotonic_from_zero(), rate=1000, run_id="t")
    probe.start()
    assert probe.reached.wait(5)
    probe.stop()
    assert probe.timeline.requests
    assert all(r.outcome in ("error", "timeout") for r in probe.timeline.requests)
    assert any("probe bug" in (r.detail or "") for r in probe.timeline.requests)


@pytest.mark.parametrize("rate, max_s, workers", [(50, 4.0, 208), (20, 11.0, 228)])
def test_the_pool_is_sized_so_it_cannot_run_dry(rate, max_s, workers):
    class Sized(FakeProbe):
        max_operation_s = max_s

    assert Sized(monotonic_from_zero(), rate=rate, run_id="t").workers == workers
