"""Guided mode for a workshop (`make chaos GUIDED=1`): before each scenario, what will fail, who
holds that role now and the timers of the mechanism that should recover it; the room's guess of
the failover (and of the writes lost); then the run; then guess, the formula's range and the
measurement side by side. A scoreboard at the end.

Everything shown after a run comes from the same journal entry the table is rendered from
(`store.scenario_entry`), predicted from the knobs read at the start of the game day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from halab.chaos.engine import predict
from halab.chaos.engine.targets import Target
from halab.chaos.gameday import Scenario
from halab.chaos.journal.schema import Prediction as JournalPrediction
from halab.chaos.journal.schema import Scenario as JournalScenario


class StopGuided(Exception):
    """The trainer typed q: no further scenario starts."""


@dataclass
class Guess:
    failover_s: float | None  # None: the room did not guess
    lost_writes: int | None


@dataclass
class Row:
    scenario: str
    guess: Guess
    predicted: JournalPrediction | None
    measured_s: float | None  # inf: never recovered
    lost: int | None


def _number(text: str, whole: bool) -> float | int | None:
    value = int(text) if whole else float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError
    return value


class Guide:
    def __init__(self, knobs: dict, *, ask: Callable[[str], str], console: Console | None = None,
                 holder: Callable[[Target], str | None] = lambda target: None) -> None:
        self.knobs, self.ask, self.holder = knobs, ask, holder
        self.console = console or Console()
        self.rows: list[Row] = []
        self._guess: Guess | None = None

    def _prompt(self, question: str, *, whole: bool) -> float | int | None:
        """A number of 0 or more; Enter for no guess; q to stop the game day."""
        while True:
            answer = self.ask(question).strip().lower()
            if answer in ("q", "quit"):
                raise StopGuided()
            if not answer:
                return None
            try:
                return _number(answer, whole)
            except ValueError:
                kind = "a whole number" if whole else "a number of seconds"
                self.console.print(f"[yellow]{answer!r} is not {kind} of 0 or more; Enter to skip, q to stop[/]")

    def before(self, sc: Scenario, index: int, total: int) -> None:
        """Shows the scenario and asks for the room's guess. Raises StopGuided on q."""
        what = "nothing (the control)" if sc.target is None else " + ".join(
            f"{fault} {target}" + (f" (now {holder})" if (holder := self.holder_of(target)) else "")
            for fault, target in sc.faults)
        p = predict.predict(sc.fault, str(sc.target) if sc.target else None, self.knobs,
                            process=getattr(sc.params, "process", None), double=bool(sc.also))
        body = [f"[bold]{' '.join(sc.description.split())}[/]", "", f"fails: {what}, for {sc.duration_s:g} s"]
        if p is not None:
            body += ["", "the mechanism and its timers, as this lab runs them:", p.formula]
        self.console.print(Panel("\n".join(body), title=f"{index}/{total} {sc.name}", title_align="left"))
        seconds = self._prompt("Your guess: seconds until clients are served well again (Enter: no guess, q: stop)? ", whole=False)
        lost = self._prompt("And acknowledged writes lost (Enter: no guess)? ", whole=True)
        self._guess = Guess(seconds, lost)

    def holder_of(self, target) -> str | None:
        try:
            return self.holder(target)
        except Exception:  # only a hint on the screen: a look that fails shows nothing
            return None

    def after(self, s: JournalScenario) -> None:
        """Guess, formula and measurement side by side, from the scenario's journal entry."""
        measured = s.failover_s
        if measured is None and s.measures is not None:
            measured = math.inf
        lost_values = [w.lost for w in s.writes.values()]
        lost = None if any(v is None for v in lost_values) else sum(lost_values)  # type: ignore[arg-type]
        row = Row(s.name, self._guess or Guess(None, None), s.predicted_failover_s, measured, lost)
        self.rows.append(row)
        p = row.predicted
        lines = [f"your guess:  {_secs(row.guess.failover_s)}, {_count(row.guess.lost_writes)} lost",
                 f"the formula: {p.min:.1f}-{p.max:.1f} s (expected {p.expected:.1f})" if p else "the formula: -",
                 f"measured:    {_secs(measured)}, {_count(lost)} acknowledged writes lost ({s.verdict})"]
        if s.failover_vs_predicted:
            lines.append(s.failover_vs_predicted)
        self.console.print(Panel("\n".join(lines), title=f"{s.name}: guess, formula, measured", title_align="left"))

    def scoreboard(self) -> Table:
        table = Table(title="Scoreboard: who came closer to what clients saw", title_justify="left")
        for column in ("scenario", "guess s", "formula s", "measured s", "closer"):
            table.add_column(column, justify="left" if column in ("scenario", "closer") else "right")
        room = formula = 0
        for r in self.rows:
            expected = r.predicted.expected if r.predicted else None
            closer = "-"
            if r.measured_s is not None and math.isfinite(r.measured_s) and r.guess.failover_s is not None and expected is not None:
                mine, theirs = abs(r.guess.failover_s - r.measured_s), abs(expected - r.measured_s)
                closer = "the room" if mine < theirs else "the formula" if theirs < mine else "a tie"
                room += mine < theirs
                formula += theirs < mine
            table.add_row(r.scenario, _secs(r.guess.failover_s), _secs(expected), _secs(r.measured_s), closer)
        table.caption = f"the room {room}, the formula {formula}"
        return table


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return "never" if math.isinf(value) else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)
