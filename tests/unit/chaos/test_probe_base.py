"""The probe scheduler's ledger, driven by a fake operation (no lab)."""

import threading

from halab.chaos.probes import base
from halab.chaos.records import Request


class FakeProbe(base.Probe):
    name = "fake"

    def __init__(self, *args, hang_on: int | None = None, fail_on: set[int] = frozenset(), **kw):
        super().__init__(*args, **kw)
        self.hang_on, self.fail_on = hang_on, fail_on
        self.release = threading.Event()
        self.reached = threading.Event()

    def operation(self, seq: int) -> Request:
        if seq == self.hang_on:
            self.reached.set()
            self.release.wait(5)
        return Request(self.name, self.clock(), 0.0, "error" if seq in self.fail_on else "ok", seq=seq)


def test_a_write_still_in_flight_at_stop_is_attempted_but_not_acknowledged(monkeypatch):
    monkeypatch.setattr(base, "STOP_GRACE_S", 0.05)
    ticks = iter(range(10**6))
    probe = FakeProbe(lambda: next(ticks) * 0.001, rate=1000, run_id="t", hang_on=3, fail_on={2})
    probe.start()
    assert probe.reached.wait(5)
    probe.stop()
    probe.release.set()
    assert 3 in probe.attempted()
    assert 3 not in probe.acknowledged()
    assert 2 in probe.attempted() and 2 not in probe.acknowledged()
    assert 1 in probe.acknowledged()


def test_an_operation_that_raises_is_recorded_as_an_error_not_lost():
    class Broken(FakeProbe):
        def operation(self, seq):
            raise RuntimeError("bug")

    ticks = iter(range(10**6))
    probe = Broken(lambda: next(ticks) * 0.001, rate=1000, run_id="t")
    probe.start()
    for _ in range(5000):  # bounded: the scheduler records within milliseconds
        if probe.timeline.requests:
            break
        threading.Event().wait(0.001)
    probe.stop()
    assert probe.timeline.requests
    assert all(r.outcome == "error" and "probe bug" in r.detail for r in probe.timeline.requests)
