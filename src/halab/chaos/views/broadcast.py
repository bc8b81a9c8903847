"""A running game day's progress as JSON, for views outside the controller's process.

`snapshot()` is the one rendering of `Progress` the dashboard shows, whether the dashboard runs
the fault itself or `make chaos` runs a game day in another container: `Publisher` writes the
snapshot to `reports/live.json` twice a second while a game day runs, and removes it at the end;
the dashboard reads it with `read_published()`, which ignores a file its writer stopped updating
(a controller killed with SIGKILL cannot remove it).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
import time
from pathlib import Path

from halab.chaos.gameday.progress import Progress

# The window the rolling success rate and latency are taken over, as in the terminal view.
WINDOW_S = 3.0
PUBLISH_EVERY_S = 0.5
# A published file older than this belongs to a controller that is gone.
STALE_AFTER_S = 5.0
FILE_NAME = "live.json"


def probe_snapshot(probe, now: float, window: float = WINDOW_S) -> dict:
    """One probe's last `window` seconds: requests answered, how many were ok, latency."""
    recent = [r for r in list(probe.timeline.requests) if r.t_send >= now - window]
    ok = [r for r in recent if r.ok]
    latencies = sorted(r.latency for r in recent)
    return {
        "name": probe.name,
        "ok": len(ok),
        "total": len(recent),
        "success": round(len(ok) / len(recent), 3) if recent else None,
        "latency_ms_median": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_ms_max": round(latencies[-1] * 1000, 1) if latencies else None,
        "requests": len(probe.timeline.requests),
    }


def snapshot(progress: Progress, *, source: str, now: float | None = None) -> dict:
    """What a view needs to show the game day now: scenario, fault, phase and countdown, probes."""
    now = time.monotonic() if now is None else now
    phase_s = now - progress.phase_since
    countdown = None
    if progress.phase == "fault active" and progress.duration_s is not None:
        countdown = round(max(0.0, progress.duration_s - phase_s), 1)
    return {
        "source": source,
        "title": progress.title,
        "index": progress.index,
        "total": progress.total,
        "scenario": progress.scenario,
        "description": progress.description,
        "fault": progress.fault,
        "duration_s": progress.duration_s,
        "phase": progress.phase,
        "rerun_of": progress.rerun_of,
        "phase_s": round(phase_s, 1),
        "countdown_s": countdown,
        "elapsed_s": round(now - progress.started, 1),
        "probes": [probe_snapshot(p, p.clock()) for p in list(progress.probes)],
        "problems": list(progress.problems[:6]),
        "results": [{"scenario": r.scenario.name, "verdict": r.verdict, "reasons": list(r.reasons)} for r in list(progress.results)],
    }


class Publisher:
    """Keeps `<reports>/live.json` up to date while a game day runs (`make chaos`), so that the
    dashboard can show it; the terminal view is not affected. The file says which container
    wrote it, so the dashboard's halt button can interrupt that controller."""

    def __init__(self, progress: Progress, reports: Path) -> None:
        self.progress = progress
        self.path = reports / FILE_NAME
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)

    def __enter__(self) -> "Publisher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.path.unlink(missing_ok=True)

    def _run(self) -> None:
        while not self._stop.wait(PUBLISH_EVERY_S):
            try:
                self.publish()
            except Exception:  # a view must never stop the game day: try again next time
                pass

    def publish(self) -> None:
        data = snapshot(self.progress, source="make chaos")
        data["controller"] = socket.gethostname()  # the tools container's id prefix
        data["published_unix"] = time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)  # readers never see half a file


def read_published(reports: Path, *, now_unix: float | None = None) -> dict | None:
    """The progress a game day elsewhere published, or None when none runs (no file, or a stale
    one left by a controller that died)."""
    path = reports / FILE_NAME
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    now_unix = time.time() if now_unix is None else now_unix
    if not isinstance(data, dict) or now_unix - float(data.get("published_unix", 0)) > STALE_AFTER_S:
        return None
    return data
