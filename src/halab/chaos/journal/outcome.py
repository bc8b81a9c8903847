"""A game day's results as typed objects, read from its journal (`schema.load`): what a team's CI
asserts on (the pytest plugin returns these), a stable surface over the journal's schema.

Nothing here is measured or judged again: every figure is the journal's. Where the journal has no
number, the types say so instead of inventing one: a failover that never ended is `inf`, one that
was not measured is `nan` (both fail `failover_s < N`), and a write check whose read-back failed
has `lost is None` ("inconclusive", never 0).
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from halab.chaos.journal import schema


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class WriteCheck(_Model):
    """One store's read-back of the writes its probe sent."""

    store: str
    attempted: int = 0
    acknowledged: int = 0
    lost: int | None = None  # acknowledged but not read back; None: the read-back failed (inconclusive)
    unknown: int = 0  # outcome unknown to the client (a timeout): neither counted as lost nor as ok
    duplicates: int = 0
    read_error: str | None = None


class PredictedRange(_Model):
    min: float
    expected: float
    max: float
    formula: str


class ScenarioOutcome(_Model):
    name: str
    verdict: str  # pass, fail, skipped
    reasons: list[str] = Field(default_factory=list)  # why the budget was broken, or why it was skipped
    service: str | None = None  # the service the fault hit
    fault: str | None = Field(None, alias="fault_description")
    failover_s: float  # by completion, of the probes the budget names; inf: never recovered; nan: not measured
    new_requests_ok_s: float | None = None
    requests_total: int = 0
    requests_failed: int = 0
    writes: dict[str, WriteCheck] = Field(default_factory=dict)
    predicted: PredictedRange | None = Field(None, alias="predicted_failover_s")
    revert_error: str | None = None
    journal_path: Path
    run_id: str

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def never_recovered(self) -> bool:
        return math.isinf(self.failover_s)

    def lost_writes(self, store: str) -> int | None:
        """Acknowledged writes of `store` (http, postgres, redis, kafka) that were not read back;
        None when the read-back failed, so that `== 0` cannot pass on an unknown."""
        if store not in self.writes:
            raise KeyError(f"no write check for '{store}' in scenario '{self.name}'; "
                           f"stores checked: {', '.join(sorted(self.writes)) or 'none'}")
        return self.writes[store].lost

    @property
    def report_path(self) -> Path:
        return self.journal_path.parent / "report.html"


class GameDayOutcome(_Model):
    run_id: str
    title: str
    status: str  # completed, stopped (after a failed revert), aborted, crashed
    revert_failed: bool = False
    scenarios: list[ScenarioOutcome]
    journal_path: Path

    @property
    def passed(self) -> bool:
        return self.status == "completed" and all(s.verdict != "fail" for s in self.scenarios)

    def scenario(self, name: str) -> ScenarioOutcome:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario '{name}' in run {self.run_id}; it ran: {', '.join(s.name for s in self.scenarios)}")

    @property
    def report_path(self) -> Path:
        return self.journal_path.parent / "report.html"

    @property
    def junit_path(self) -> Path:
        return self.journal_path.parent / "junit.xml"

    @classmethod
    def from_journal(cls, path: Path) -> GameDayOutcome:
        """The outcome of the run whose journal is at `path`; JournalError when it is not one.
        (The schema, not the store: this module loads where only pydantic is installed.)"""
        journal = schema.load(path)
        return cls(run_id=journal.run_id, title=journal.title, status=journal.status, revert_failed=journal.revert_failed,
                   scenarios=[_scenario(s, path, journal.run_id) for s in journal.scenarios], journal_path=path)


def _scenario(s: schema.Scenario, path: Path, run_id: str) -> ScenarioOutcome:
    failover = s.failover_s
    if failover is None:
        failover = math.inf if s.measures is not None else math.nan
    return ScenarioOutcome(
        name=s.name, verdict=s.verdict, reasons=s.reasons, service=s.service, fault_description=s.fault_description,
        failover_s=failover, new_requests_ok_s=s.new_requests_ok_s, requests_total=s.requests_total,
        requests_failed=s.requests_failed, revert_error=s.revert_error, journal_path=path, run_id=run_id,
        writes={store: WriteCheck(store=store, **check.model_dump()) for store, check in s.writes.items()},
        predicted_failover_s=PredictedRange(**s.predicted_failover_s.model_dump()) if s.predicted_failover_s else None,
    )


# How a game day ended, as `chaos run` exits with it and every view (the HTML report's verdict)
# says it: one definition, below the command line and the views that both read it.
EXIT_FAILED, EXIT_CRASHED, EXIT_REVERT_FAILED, EXIT_ABORTED = 1, 3, 4, 130


def run_outcome(status: str, failed: int, *, revert_failed: str | None = None, error: Exception | None = None) -> tuple[str | None, int]:
    """What `chaos run` says last on stderr about how the game day ended, and its exit code. A
    failed revert wins over everything else: the lab may be left broken."""
    if revert_failed:
        also = f" (and then an unexpected error: {error!r})" if error else ""
        return (f"reverting a fault failed: {revert_failed}{also}\nthe lab may be left broken, so the game day "
                f"stopped there: run `make heal` to undo it, then `make status`"), EXIT_REVERT_FAILED
    if status == "aborted":
        return "interrupted: every injected fault was reverted; the journal has what ran", EXIT_ABORTED
    if status == "crashed":
        return f"the game day stopped on an unexpected error: {error!r}; every injected fault was reverted", EXIT_CRASHED
    return None, EXIT_FAILED if failed else 0
