"""The live terminal view while a game day runs: scenario, fault, phase, elapsed time, and each
probe's success rate over the last few seconds. Without a terminal (CI logs) it prints one line
per phase change instead."""

from __future__ import annotations

import contextlib
import threading
import time

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from halab.chaos.gameday.progress import Progress
from halab.chaos.views.broadcast import WINDOW_S, probe_snapshot


def render(progress: Progress) -> Group:
    now_run = time.monotonic()
    head = Text.from_markup(
        f"[bold]{progress.title}[/]  scenario {progress.index}/{progress.total}: [bold cyan]{progress.scenario}[/]\n"
        f"fault: {progress.fault}\nphase: [bold]{progress.phase}[/] for {now_run - progress.phase_since:4.1f} s"
        f"   elapsed {now_run - progress.started:5.0f} s"
    )
    table = Table(box=None, padding=(0, 2))
    for col in ("probe", f"ok (last {WINDOW_S:g} s)", "success", "requests"):
        table.add_column(col)
    for p in progress.probes:
        now = probe_snapshot(p, p.clock())
        rate = now["success"]
        style = "green" if rate == 1 else "yellow" if rate and rate > 0.5 else "red"
        table.add_row(p.name, f"{now['ok']}/{now['total']}", f"[{style}]{'-' if rate is None else f'{rate:.0%}'}[/]", str(now["requests"]))
    parts = [head, table]
    if progress.rerun_of:
        parts.insert(1, Text(f"again: {progress.rerun_of}", style="yellow"))
    if progress.phase.startswith("waiting") or progress.phase == "recovering":
        parts += [Text(f"  still: {p}", style="dim") for p in progress.problems[:4]]
    done = "  ".join(f"{r.scenario.name}:{r.verdict}" for r in progress.results)
    if done:
        parts.append(Text(f"done: {done}", style="dim"))
    return Group(*parts)


class LiveView:
    def __init__(self, progress: Progress, console: Console | None = None) -> None:
        self.progress = progress
        self.console = console or Console()
        if not self.console.is_terminal:
            self.console = Console(width=170)
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "LiveView":
        if self.console.is_terminal:
            self._live = Live(render(self.progress), console=self.console, refresh_per_second=4, get_renderable=lambda: render(self.progress))
            self._live.__enter__()
        else:
            self._thread = threading.Thread(target=self._log_phases, daemon=True)
            self._thread.start()
        return self

    @contextlib.contextmanager
    def paused(self):
        """The live view off while the terminal is used for something else (guided mode's questions)."""
        if self._live is None:
            yield
            return
        self._live.stop()
        try:
            yield
        finally:
            self._live.start()

    def _log_phases(self) -> None:
        last = None
        while not self._stop.wait(0.25):
            key = (self.progress.index, self.progress.rerun_of, self.progress.phase)
            if key != last:
                last = key
                self.console.print(f"[{time.monotonic() - self.progress.started:6.1f} s] {self.progress.index}/{self.progress.total}"
                                   f" {self.progress.scenario}: {self.progress.phase} ({self.progress.fault})"
                                   + (f" [again: {self.progress.rerun_of}]" if self.progress.rerun_of else ""), highlight=False, markup=False)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._live:
            self._live.__exit__(*exc)
