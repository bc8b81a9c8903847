"""The lab as the dashboard shows it: `make status`'s picture, taken again and again in the
background, so that any number of browsers read the latest one without asking the lab each."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from halab.lab import containers, status as lab_status

# Between two looks. A look asks every system, five of them through `docker exec` (the VIP in
# each lb, the KRaft state in each broker), and takes 0.6-0.7 s on an idle 2-core machine, 1-3 s
# mid-failover. Looking without a pause kept dockerd busy enough to delay a game day's own
# `docker kill` by seconds (a redis-master-kill measured 5.8 s, its first failed write 3.3 s
# after the injection); a pause of 1 s refreshes the topology about every 1.7 s.
INTERVAL_S = 1.0


class LabWatcher:
    def __init__(self, collect: Callable[[], lab_status.LabStatus] = lab_status.collect, interval_s: float = INTERVAL_S,
                 lab_is_up: Callable[[], bool] | None = None) -> None:
        self.collect, self.interval_s = collect, interval_s
        self.lab_is_up = lab_is_up or (lambda: bool(containers.lab_containers(containers.client())))
        self.latest: dict | None = None  # LabStatus.to_json(), the same fields as `make status JSON=1`
        self.error: str | None = None  # why the last look failed (the lab is down, Docker is gone)
        self.taken_unix: float | None = None
        self.look_s: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-watcher", daemon=True)

    def start(self) -> "LabWatcher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def look(self) -> None:
        started = time.monotonic()
        try:
            if not self.lab_is_up():
                # Its fixed addresses are not the lab's while it is down: ask nobody there.
                raise RuntimeError("the lab is down (no lab containers): run `make up`")
            self.latest, self.error = self.collect().to_json(), None
        except Exception as e:  # the lab is down or mid-change: show why, keep looking
            self.error = str(e) or repr(e)
        self.taken_unix, self.look_s = time.time(), round(time.monotonic() - started, 2)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.look()
            self._stop.wait(self.interval_s)

    def to_json(self) -> dict:
        return {"status": self.latest, "error": self.error, "taken_unix": self.taken_unix, "look_s": self.look_s}
