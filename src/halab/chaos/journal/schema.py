"""The journal's schema: reports/<run-id>/journal.json as typed models, the one definition of
what a run records. The store builds a `Journal` from the runner's results and writes its
`model_dump`; views and analyses read it back with `load` and read attributes.

Every run-relative time counts from the run's t0 (`clock.t0_unix` on the wall clock); seconds are
rounded to the millisecond. A figure the run could not measure is None, and the views say so
("never", "inconclusive") instead of showing 0.

`schema_version` is written since version 2. A journal without it is version 1 (halab before
2026-12-07): it has the same fields where it has them, and lacks those added since (its models'
defaults stand in). A journal from a newer halab is refused with a message that names both
versions, rather than read wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from halab.lab.errors import LabError

SCHEMA_VERSION = 2
# t_send is when the request was due on the probe's schedule; latency runs from then; queued_s is
# how long after that it really went out. Each record is a list of these, in this order.
RECORD_FIELDS = ["t_send", "latency", "outcome", "status", "seq", "replica", "lb", "detail", "queued_s"]


class Record(NamedTuple):
    """One request a probe recorded, as a row of `records` lists it (RECORD_FIELDS)."""

    t_send: float
    latency: float
    outcome: str  # ok, http_error, timeout, refused, reset, error
    status: int | None = None
    seq: int | None = None
    replica: str | None = None
    lb: str | None = None
    detail: str | None = None
    queued_s: float = 0.0


class JournalError(LabError):
    """The journal is missing, unreadable, or not a game-day journal this halab can read; the
    message says why and what to do."""


class _Model(BaseModel):
    # Frozen: a view never changes what was recorded. Unknown keys are ignored: a field added by
    # a later minor version does not stop an older reader.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Machine(_Model):
    hostname: str | None = None
    platform: str | None = None
    cpus: int | None = None
    memory_gib: float | None = None
    cpu_model: str | None = None

    def __str__(self) -> str:
        return f"{self.cpus} CPUs, {self.memory_gib} GiB, {self.cpu_model or self.platform}"


class AppService(_Model):
    """The service that ran in the app slots (app1..3): halab's orders service, or a team's
    (`make up APP=...`, halab.lab.service)."""

    name: str = "orders"
    image: str = "halab/python"

    @property
    def is_halabs(self) -> bool:
        return self.name == "orders"

    def __str__(self) -> str:
        return f"{self.name} ({self.image})"


class Clock(_Model):
    t0_unix: float | None = None  # the run's t=0 on the wall clock


class Summary(_Model):
    passed: int = Field(0, alias="pass")
    fail: int = 0
    skipped: int = 0
    passed_on_rerun: int = 0  # passed, but only on a rerun after missing its budget


class Budget(_Model):
    """The scenario's budget as the run judged it (`halab.chaos.engine.budget.Budget`)."""

    max_failover_s: float | None = None
    failover_of: list[str] | None = None
    max_failed_requests: int | None = None
    max_lost_writes: dict[str, int] = Field(default_factory=dict)
    counts_return_disruption: bool = True


class Writes(_Model):
    """One store's write check: acknowledged writes read back (ok), missing (lost), ..."""

    ok: int | None = None
    lost: int | None = None  # None: the read-back failed, any number may be lost
    unexpected: int | None = None
    recovered: int | None = None
    unknown: int = 0  # outcome unknown to the client (a timeout)
    acknowledged: int = 0
    attempted: int = 0
    duplicates: int = 0
    read_error: str | None = None


class ReturnDisruptionSummary(_Model):
    failed: int = 0
    duration_s: float | None = None  # None: some probe never recovered from it


class RoleChange(_Model):
    role: str
    old_holder: str | None = None
    new_holder: str | None = None
    first_seen_at: float | None = None


class Window(_Model):
    injected_at: float
    reverted_at: float | None = None
    inject_returned_at: float | None = None


class Latency(_Model):
    count: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


class ProbeReturnDisruption(_Model):
    requests_total: int = 0
    failed: int = 0
    time_to_first_error_s: float | None = None
    duration_s: float | None = None
    recovered_at: float | None = None


class WriteSummary(_Model):
    store: str
    attempted: int = 0
    acknowledged: int = 0
    unknown: int = 0
    duplicates: int = 0
    ok: int | None = None
    lost: int | None = None
    unexpected: int | None = None
    recovered: int | None = None
    ok_fraction: float | None = None
    lost_fraction: float | None = None
    unexpected_fraction: float | None = None
    recovered_fraction: float | None = None
    lost_seqs: list[int] = Field(default_factory=list)
    unexpected_seqs: list[int] = Field(default_factory=list)
    read_error: str | None = None


class ProbeMeasures(_Model):
    probe: str
    requests_total: int = 0
    requests_failed: int = 0
    failure_pct: float | None = None
    baseline_total: int = 0
    baseline_failed: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    time_to_first_error_s: float | None = None
    failover_s: float | None = None
    recovered_at: float | None = None
    return_disruption: ProbeReturnDisruption | None = None
    latency_before: Latency = Field(default_factory=Latency)
    latency_during: Latency = Field(default_factory=Latency)
    writes: WriteSummary | None = None
    longest_stall_s: float | None = None
    latency_bound_s: float | None = None
    latency_bound_rule: str = ""
    requests_slow: int = 0
    new_requests_ok_s: float | None = None

    @property
    def has_send_side_figure(self) -> bool:
        """Journals from before the send-side figure (`new_requests_ok_s`) existed lack it."""
        return "new_requests_ok_s" in self.model_fields_set


class Measures(_Model):
    injected_at: float
    reverted_at: float | None = None
    run_end: float
    failover_s: float | None = None
    requests_total: int = 0
    requests_failed: int = 0
    failed_writes_acknowledged_lost: dict[str, int] = Field(default_factory=dict)
    return_disruption: ReturnDisruptionSummary | None = None
    probes: dict[str, ProbeMeasures] = Field(default_factory=dict)


class Prediction(_Model):
    min: float
    expected: float
    max: float
    formula: str
    if_above: str = ""


class Scenario(_Model):
    name: str
    description: str = ""
    fault: str
    target: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    # The faults injected beside the scenario's own (a double fault), and every service hit.
    also: list[dict[str, Any]] = Field(default_factory=list)
    service: str | None = None
    services: list[str] = Field(default_factory=list)
    fault_description: str | None = None
    started_at: str | None = None
    verdict: str  # pass, fail, skipped
    reasons: list[str] = Field(default_factory=list)
    revert_error: str | None = None  # the fault's revert raised: the lab may have been left broken
    budget: Budget = Field(default_factory=Budget)
    # The failover the budget judges (of the probes it names); the worst probe's beside it.
    failover_s: float | None = None
    failover_worst_s: float | None = None
    # Send side: when requests sent anew were all served in time again (same probes).
    new_requests_ok_s: float | None = None
    longest_stall_s: float | None = None
    requests_total: int = 0
    requests_failed: int = 0
    writes: dict[str, Writes] = Field(default_factory=dict)
    return_disruption: ReturnDisruptionSummary | None = None
    role_change: RoleChange | None = None
    steady_before_s: float | None = None
    back_to_steady_s: float | None = None
    recovery_blockers: dict[str, float] = Field(default_factory=dict)
    recovery_logs: dict[str, list[str]] = Field(default_factory=dict)
    window: Window | None = None
    measures: Measures | None = None
    # Per probe, one list per request in RECORD_FIELDS order, in send order.
    records: dict[str, list[list[Any]]] = Field(default_factory=dict)
    probe_rates: dict[str, float | None] = Field(default_factory=dict)
    # `rerun_misses`: the attempts before this one, each of which missed only numeric budgets,
    # whole (records too), oldest first. This entry is the attempt that decided the verdict.
    attempt: int = 1
    earlier_attempts: list[Scenario] = Field(default_factory=list)
    predicted_failover_s: Prediction | None = None
    failover_vs_predicted: str | None = None

    def requests(self, fields: list[str] = RECORD_FIELDS) -> dict[str, list[Record]]:
        """Per probe, its requests in send order; `fields`: the journal's `record_fields`."""
        return {probe: [Record(**dict(zip(fields, row))) for row in rows] for probe, rows in self.records.items()}

    @property
    def measured(self) -> bool:
        """Something was measured: not skipped, and the fault was injected. A version 1 journal
        without the `measures` key at all is taken as measured."""
        return self.measures is not None or "measures" not in self.model_fields_set

    @property
    def never_recovered(self) -> bool:
        """Measured, and the judged failover never ended within the run."""
        return self.failover_s is None and self.measured

    @property
    def has_send_side_figure(self) -> bool:
        """Journals from before the send-side figure (`new_requests_ok_s`) existed lack it."""
        return "new_requests_ok_s" in self.model_fields_set


class Journal(_Model):
    schema_version: int = 1
    run_id: str
    title: str = ""
    gameday_file: str | None = None
    start: str | None = None
    end: str | None = None
    status: str = "completed"  # completed, stopped (after a failed revert), aborted, crashed
    revert_failed: bool = False  # if so, the lab may be left broken: make heal
    revert_error: str | None = None
    machine: Machine = Field(default_factory=Machine)
    app_service: AppService = Field(default_factory=AppService)
    clock: Clock = Field(default_factory=Clock)
    knobs: dict[str, Any] = Field(default_factory=dict)
    record_fields: list[str] = Field(default_factory=lambda: list(RECORD_FIELDS))
    summary: Summary = Field(default_factory=Summary)
    scenarios: list[Scenario] = Field(default_factory=list)

    @property
    def profile(self) -> str | None:
        """The timer profile the services reported (tuned, stock); None in a journal without knobs."""
        return (self.knobs.get("profile") or {}).get("name")

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario '{name}' in run {self.run_id}; it ran: {', '.join(s.name for s in self.scenarios) or 'none'}")

    def dump(self) -> dict[str, Any]:
        """As journal.json holds it."""
        return self.model_dump(mode="json", by_alias=True)


def parse(data: Any, source: str = "the journal") -> Journal:
    """A journal from its JSON value; JournalError naming what is wrong."""
    missing = [k for k in ("run_id", "scenarios") if not isinstance(data, dict) or k not in data]
    if missing or not isinstance(data["scenarios"], list):
        raise JournalError(f"{source} is not a game-day journal: it has no {' or '.join(missing) or 'list of scenarios'}")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SCHEMA_VERSION:
        raise JournalError(f"{source} has journal schema version {version!r}; this halab reads versions 1 to "
                           f"{SCHEMA_VERSION}: render it with the halab that wrote it, or update halab")
    try:
        return Journal.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        what = "missing" if first["type"] == "missing" else first["msg"]
        more = f"; and {e.error_count() - 1} more" if e.error_count() > 1 else ""
        raise JournalError(f"{source} is not a journal this version of halab can read ({where}: {what}{more})") from None


def read_json(path: Path) -> tuple[Path, Any]:
    """The JSON at `path` (or `path`/journal.json for a run's folder), and where it was read."""
    path = Path(path)
    if path.is_dir():
        path = path / "journal.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JournalError(f"no journal at {path}: give a run's journal.json, e.g. reports/latest/journal.json") from None
    except UnicodeDecodeError:
        raise JournalError(f"{path} is not a game-day journal: not UTF-8 text") from None
    except OSError as e:
        raise JournalError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return path, json.loads(text)
    except ValueError as e:
        raise JournalError(f"{path} is not a game-day journal: not JSON ({e})") from None


def load(path: Path) -> Journal:
    """The journal at `path` (or in the run folder `path`); JournalError when it is not one."""
    path, data = read_json(path)
    return parse(data, str(path))
