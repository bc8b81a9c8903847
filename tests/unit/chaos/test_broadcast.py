"""A running game day's progress as the dashboard sees it: the snapshot, and the file `make
chaos` publishes it in (written whole, removed at the end, ignored once stale)."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

from halab.chaos.engine.records import ProbeTimeline, Request
from halab.chaos.gameday.progress import Progress
from halab.chaos.views import broadcast


def probe(name: str, now: float, outcomes: list[tuple[float, float, str]]):
    """A probe whose clock reads `now`, with (t_send, latency, outcome) requests."""
    timeline = ProbeTimeline(name, requests=[Request(name, t, lat, out) for t, lat, out in outcomes])
    return SimpleNamespace(name=name, clock=lambda: now, timeline=timeline)


def test_a_probe_is_summed_up_over_the_last_three_seconds():
    p = probe("postgres", 10.0, [(6.0, 0.01, "ok"), (7.5, 0.02, "ok"), (8.0, 2.0, "timeout"), (9.5, 0.04, "ok")])
    assert broadcast.probe_snapshot(p, 10.0) == {"name": "postgres", "ok": 2, "total": 3, "success": 0.667,
                                                 "latency_ms_median": 40.0, "latency_ms_max": 2000.0, "requests": 4}
    assert broadcast.probe_snapshot(probe("http", 10.0, []), 10.0)["success"] is None


def test_the_countdown_runs_only_while_the_fault_is_active():
    progress = Progress("game day", 3, index=2, scenario="pg-leader-kill", fault="kill pg1", duration_s=10.0)
    progress.enter("fault active")
    snap = broadcast.snapshot(progress, source="make chaos", now=progress.phase_since + 3.25)
    assert (snap["phase"], snap["countdown_s"], snap["phase_s"]) == ("fault active", 6.8, 3.2)
    progress.enter("recovering")
    assert broadcast.snapshot(progress, source="make chaos")["countdown_s"] is None


def test_make_chaos_publishes_its_progress_while_it_runs_and_removes_it_after(tmp_path):
    progress = Progress("HA lab default game day", 12, index=1, scenario="idle-control")
    with broadcast.Publisher(progress, tmp_path) as publisher:
        publisher.publish()
        seen = broadcast.read_published(tmp_path)
        assert seen["title"] == "HA lab default game day" and seen["scenario"] == "idle-control"
        assert seen["controller"]  # the container to interrupt from the dashboard's halt button
    assert not (tmp_path / broadcast.FILE_NAME).exists() and broadcast.read_published(tmp_path) is None


def test_a_file_left_by_a_controller_that_died_is_ignored(tmp_path):
    (tmp_path / broadcast.FILE_NAME).write_text(json.dumps({"title": "x", "published_unix": time.time() - 60}))
    assert broadcast.read_published(tmp_path) is None
    (tmp_path / broadcast.FILE_NAME).write_text("{half a fi")
    assert broadcast.read_published(tmp_path) is None
