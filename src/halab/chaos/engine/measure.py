"""Turn probe timelines into the numbers a scenario is judged by: failover time, failed
requests, latency before and during the fault, and the write checks' verdict on lost writes.

Pure functions over `records`; no I/O, no clock. All times are run-relative seconds.

**Failover, as a client experiences it.** A request is *good* when it succeeded within the
probe's latency bound (`LATENCY_BOUND_FACTOR` times its baseline p99, clamped to
[`LATENCY_BOUND_FLOOR_S`, `LATENCY_BOUND_CAP_S`]); latency runs from the moment the request was due (open loop), so
time spent queued, waiting in a pool or retried inside a client counts. Failover runs from the
injection until the first moment R, a good request's *completion*, after which

- every request in play during the fault (sent before the revert, or in flight at the
  injection) that completes later than R is good: a write sent before R that fails or answers
  late after R moves R past it;
- the `stable_s` after R holds good completions only, at least `MIN_STABLE_FRACTION` of what the
  probe's rate schedules (silence is not health), and every request *sent* in it is good;
- the run lasts until R + `stable_s`.

"New requests succeed again" (`new_requests_ok_s`) is the second, send-side figure: the first
moment from which every request sent is good. The gap between the two is what requests already
under way cost (e.g. TCP's 1 s SYN retransmit to a VIP that moved).

The failed node's return (restart, unpause, reconnect) can cause a second disruption (VRRP
preemption, a rejoining primary): requests sent after both the revert and the recovery belong to
it, measured by the same rule, so it neither hides nor inflates the primary failover.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from halab.chaos.engine.budget import Budget
from halab.chaos.engine.records import OUTCOMES, FaultWindow, ProbeTimeline, Request, WriteCheck

# Float times such as 10.0 + 50 * 0.02 are not exact; this keeps "exactly one second" one second.
_EPSILON = 1e-9
# Enough lost/unexpected seq numbers for the journal to show a pattern, not a dump.
MAX_LISTED_SEQS = 20
HTTP_PROBE = "http"
# A request slower than this many times the baseline p99 is one a client notices, within
# bounds: under LATENCY_BOUND_FLOOR_S a slow answer is the tail of a busy 2-core machine (an
# idle lab's HTTP answers reach 1.4 s there now and then, Kafka's produce p99 0.9 s), and over
# LATENCY_BOUND_CAP_S the bound would hide what it is there to catch (a producer retrying for
# seconds; a 2 s wait for a pooled connection fails outright). A 3 s baseline's p99 is noisy;
# the clamp keeps the bound between the two whatever the noise.
LATENCY_BOUND_FACTOR = 5.0
LATENCY_BOUND_FLOOR_S = 1.5
LATENCY_BOUND_CAP_S = 3.0
# A stable second must hold at least this share of the requests the probe's rate schedules.
MIN_STABLE_FRACTION = 0.5


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# ---------------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencySummary:
    """Nearest-rank percentiles in milliseconds over every request, whatever its outcome."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "p50_ms": _round(self.p50_ms), "p95_ms": _round(self.p95_ms), "p99_ms": _round(self.p99_ms)}


@dataclass(frozen=True)
class ReturnDisruption:
    """Failures caused by the failed node coming back, after the primary recovery."""

    requests_total: int  # requests sent after both the revert and the primary recovery
    failed: int
    time_to_first_error_s: float | None  # relative to reverted_at; None when nothing failed
    duration_s: float | None  # first failure -> start of the next stable second; None = never recovered
    recovered_at: float | None  # run-relative start of that stable second

    @property
    def never_recovered(self) -> bool:
        return self.failed > 0 and self.duration_s is None

    def to_json(self) -> dict[str, Any]:
        return {
            "requests_total": self.requests_total,
            "failed": self.failed,
            "time_to_first_error_s": _round(self.time_to_first_error_s),
            "duration_s": _round(self.duration_s),
            "recovered_at": _round(self.recovered_at),
        }


@dataclass(frozen=True)
class WriteSummary:
    """A write check in numbers. When the read-back failed (`read_error`), everything that
    depends on what the store holds (ok, lost, unexpected, recovered) is None: unknown, not 0."""

    store: str
    attempted: int
    acknowledged: int
    unknown: int
    duplicates: int
    ok: int | None
    lost: int | None
    unexpected: int | None
    recovered: int | None
    ok_fraction: float | None
    lost_fraction: float | None
    unexpected_fraction: float | None
    recovered_fraction: float | None
    lost_seqs: tuple[int, ...]  # the first few, sorted, for the journal
    unexpected_seqs: tuple[int, ...]
    read_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "attempted": self.attempted,
            "acknowledged": self.acknowledged,
            "unknown": self.unknown,
            "duplicates": self.duplicates,
            "ok": self.ok,
            "lost": self.lost,
            "unexpected": self.unexpected,
            "recovered": self.recovered,
            "ok_fraction": _round(self.ok_fraction),
            "lost_fraction": _round(self.lost_fraction),
            "unexpected_fraction": _round(self.unexpected_fraction),
            "recovered_fraction": _round(self.recovered_fraction),
            "lost_seqs": list(self.lost_seqs),
            "unexpected_seqs": list(self.unexpected_seqs),
            "read_error": self.read_error,
        }


@dataclass(frozen=True)
class ProbeMeasures:
    """One probe's numbers. "Window" means t_send in [injected_at, run_end]."""

    probe: str
    requests_total: int
    requests_failed: int
    failure_pct: float
    baseline_total: int  # before injection
    baseline_failed: int
    outcomes: dict[str, int]  # window only; every known outcome present, zeros included
    time_to_first_error_s: float | None
    failover_s: float | None  # None = had failures and never recovered within the run
    recovered_at: float | None  # run-relative start of the first stable second (injected_at if no failure)
    return_disruption: ReturnDisruption | None  # None when the fault was never reverted
    latency_before: LatencySummary
    latency_during: LatencySummary
    writes: WriteSummary | None
    # The longest time during the fault in which no operation of this probe completed
    # successfully. A client library that retries inside its own timeout (Kafka's producer)
    # turns an outage into a stall, not into failures; this shows it.
    longest_stall_s: float | None = None
    latency_bound_s: float = LATENCY_BOUND_FLOOR_S  # a slower success counts as bad
    latency_bound_rule: str = ""
    requests_slow: int = 0  # window: succeeded, but slower than the bound
    # Send side: from the injection until every request sent succeeds in time. None = never.
    new_requests_ok_s: float | None = 0.0

    @property
    def never_recovered(self) -> bool:
        return self.requests_failed > 0 and self.failover_s is None

    def to_json(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "requests_total": self.requests_total,
            "requests_failed": self.requests_failed,
            "failure_pct": _round(self.failure_pct),
            "baseline_total": self.baseline_total,
            "baseline_failed": self.baseline_failed,
            "outcomes": dict(self.outcomes),
            "time_to_first_error_s": _round(self.time_to_first_error_s),
            "failover_s": _round(self.failover_s),
            "recovered_at": _round(self.recovered_at),
            "return_disruption": None if self.return_disruption is None else self.return_disruption.to_json(),
            "latency_before": self.latency_before.to_json(),
            "latency_during": self.latency_during.to_json(),
            "writes": None if self.writes is None else self.writes.to_json(),
            "longest_stall_s": _round(self.longest_stall_s),
            "latency_bound_s": _round(self.latency_bound_s),
            "latency_bound_rule": self.latency_bound_rule,
            "requests_slow": self.requests_slow,
            "new_requests_ok_s": _round(self.new_requests_ok_s),
        }


@dataclass(frozen=True)
class ReturnDisruptionSummary:
    """The worst return disruption over all probes."""

    failed: int  # max over probes
    duration_s: float | None  # max over probes; None if any probe never recovered from it

    def to_json(self) -> dict[str, Any]:
        return {"failed": self.failed, "duration_s": _round(self.duration_s)}


@dataclass(frozen=True)
class ScenarioMeasures:
    injected_at: float
    reverted_at: float | None
    run_end: float
    probes: dict[str, ProbeMeasures]
    failover_s: float | None  # max over probes; None if any probe never recovered
    requests_total: int  # the http probe's window numbers (0 without an http probe)
    requests_failed: int
    failed_writes_acknowledged_lost: dict[str, int]  # store -> lost; conclusive checks only
    return_disruption: ReturnDisruptionSummary | None

    def to_json(self) -> dict[str, Any]:
        return {
            "injected_at": _round(self.injected_at),
            "reverted_at": _round(self.reverted_at),
            "run_end": _round(self.run_end),
            "failover_s": _round(self.failover_s),
            "requests_total": self.requests_total,
            "requests_failed": self.requests_failed,
            "failed_writes_acknowledged_lost": dict(self.failed_writes_acknowledged_lost),
            "return_disruption": None if self.return_disruption is None else self.return_disruption.to_json(),
            "probes": {name: measures.to_json() for name, measures in self.probes.items()},
        }


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[str]  # one readable sentence per broken budget; empty when passed
    # Every reason is a number over its budget (failover, the return, failed requests), none a
    # broken promise (a lost acknowledged write, a probe that never recovered or went silent, a
    # read-back that failed). Only such a miss may be run again to confirm it (`rerun_misses`).
    only_over_budget: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": list(self.reasons), "only_over_budget": self.only_over_budget}


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


def in_time_order(requests: Iterable[Request]) -> list[Request]:
    # At equal t_send, successes first, so that a failure sent at the same instant as a
    # candidate recovery lies inside that candidate's stable second and disqualifies it.
    return sorted(requests, key=lambda request: (request.t_send, not request.ok))


def nearest_rank(sorted_values: Sequence[float], percent: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(requests: Sequence[Request]) -> LatencySummary:
    latencies_ms = sorted(request.latency * 1000 for request in requests)
    return LatencySummary(
        count=len(latencies_ms),
        p50_ms=nearest_rank(latencies_ms, 50),
        p95_ms=nearest_rank(latencies_ms, 95),
        p99_ms=nearest_rank(latencies_ms, 99),
    )


@dataclass(frozen=True)
class LatencyBound:
    """Slower than `seconds` is as bad as failed, for deciding when a probe recovered."""

    seconds: float
    rule: str

    @classmethod
    def from_baseline(cls, baseline: Sequence[Request]) -> "LatencyBound":
        p99 = nearest_rank(sorted(r.latency for r in baseline if r.ok), 99)
        if p99 is None:
            return cls(LATENCY_BOUND_FLOOR_S, f"no baseline: the floor, {LATENCY_BOUND_FLOOR_S:g} s")
        seconds = min(max(LATENCY_BOUND_FACTOR * p99, LATENCY_BOUND_FLOOR_S), LATENCY_BOUND_CAP_S)
        return cls(seconds, f"{LATENCY_BOUND_FACTOR:g} × baseline p99 {p99 * 1000:.0f} ms, "
                            f"within [{LATENCY_BOUND_FLOOR_S:g} s, {LATENCY_BOUND_CAP_S:g} s]")

    def good(self, request: Request) -> bool:
        return request.ok and request.latency <= self.seconds + _EPSILON


def done_at(request: Request) -> float:
    return request.t_send + request.latency


class _Recovery:
    """One probe's recovery searches; see the module docstring for the rule. Requests are
    indexed by send and by completion time, so each candidate is checked in O(log n)."""

    def __init__(self, requests: Sequence[Request], *, bound: LatencyBound, run_end: float, stable_s: float, min_samples: int) -> None:
        self.requests, self.bound, self.run_end, self.stable_s, self.min_samples = requests, bound, run_end, stable_s, min_samples
        self.by_sent = sorted(requests, key=lambda r: r.t_send)
        self.sent_times = [r.t_send for r in self.by_sent]
        self.by_done = sorted(requests, key=done_at)
        self.done_times = [done_at(r) for r in self.by_done]
        self._bad_sent = _prefix_counts(not bound.good(r) for r in self.by_sent)
        self._good_sent = _prefix_counts(bound.good(r) for r in self.by_sent)
        self._bad_done = _prefix_counts(not bound.good(r) for r in self.by_done)
        self._good_done = _prefix_counts(bound.good(r) for r in self.by_done)

    def _stable_from(self, start: float, *, by_completion: bool) -> bool:
        """`stable_s` from `start`: enough good requests, nothing bad sent (or completed) in it."""
        end = start + self.stable_s
        if self.run_end + _EPSILON < end:
            return False
        s0, s1 = bisect_left(self.sent_times, start - _EPSILON), bisect_left(self.sent_times, end - _EPSILON)
        d0, d1 = bisect_left(self.done_times, start - _EPSILON), bisect_left(self.done_times, end - _EPSILON)
        if self._bad_sent[s1] - self._bad_sent[s0] or (by_completion and self._bad_done[d1] - self._bad_done[d0]):
            return False
        good = self._good_done[d1] - self._good_done[d0] if by_completion else self._good_sent[s1] - self._good_sent[s0]
        return good >= self.min_samples

    def by_completion(self, disrupted: Sequence[Request]) -> float | None:
        """R: the first good completion, after the last bad completion among `disrupted`, that
        starts a stable stretch."""
        last_bad = max(done_at(r) for r in disrupted if not self.bound.good(r))
        first = bisect_left(self.done_times, last_bad - _EPSILON)
        return next((done_at(r) for r in self.by_done[first:] if self.bound.good(r) and self._stable_from(done_at(r), by_completion=True)), None)

    def by_send(self, disrupted: Sequence[Request]) -> float | None:
        """The first send time after the last bad send among `disrupted` from which every
        request sent is good."""
        last_bad = max(r.t_send for r in disrupted if not self.bound.good(r))
        first = bisect_left(self.sent_times, last_bad + _EPSILON)
        return next((r.t_send for r in self.by_sent[first:] if self.bound.good(r) and self._stable_from(r.t_send, by_completion=False)), None)


def _prefix_counts(flags: Iterable[bool]) -> list[int]:
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + int(flag))
    return counts


def primary_recovery(search: _Recovery, window: FaultWindow) -> tuple[float | None, float | None, float | None]:
    """(failover_s, recovered_at, new_requests_ok_s) for the disruption the fault itself caused:
    that of the requests sent before the revert, or in flight when the fault was injected."""
    reverted_at = math.inf if window.reverted_at is None else window.reverted_at
    in_play = [r for r in search.requests if r.t_send < reverted_at and done_at(r) > window.injected_at]
    if all(search.bound.good(r) for r in in_play):
        return 0.0, window.injected_at, 0.0
    recovered_at = search.by_completion(in_play)
    sent_since = [r for r in in_play if r.t_send >= window.injected_at]
    if all(search.bound.good(r) for r in sent_since):  # only requests already under way suffered
        new_requests_ok_s: float | None = 0.0
    else:
        new_ok_at = search.by_send(sent_since)
        new_requests_ok_s = None if new_ok_at is None else new_ok_at - window.injected_at
    return None if recovered_at is None else recovered_at - window.injected_at, recovered_at, new_requests_ok_s


def return_disruption(search: _Recovery, window: FaultWindow, recovered_at: float | None) -> ReturnDisruption | None:
    if window.reverted_at is None:
        return None
    if recovered_at is None:
        # Never recovered from the fault itself: there is nothing "after recovery" to measure.
        return ReturnDisruption(requests_total=0, failed=0, time_to_first_error_s=None, duration_s=0.0, recovered_at=None)
    starts_at = max(window.reverted_at, recovered_at)
    after_return = [r for r in search.requests if r.t_send >= starts_at]
    failed = sum(1 for r in after_return if not r.ok)
    bad = [r for r in after_return if not search.bound.good(r)]
    if not bad:
        return ReturnDisruption(requests_total=len(after_return), failed=failed, time_to_first_error_s=None, duration_s=0.0, recovered_at=None)
    first_bad_at = bad[0].t_send
    recovery = search.by_completion(after_return)
    return ReturnDisruption(
        requests_total=len(after_return),
        failed=failed,
        time_to_first_error_s=first_bad_at - window.reverted_at,
        duration_s=None if recovery is None else recovery - first_bad_at,
        recovered_at=recovery,
    )


def expected_rate(timeline: ProbeTimeline, baseline: Sequence[Request]) -> float | None:
    """Requests per second the probe schedules: recorded by the probe, else read off the baseline."""
    if timeline.rate:
        return timeline.rate
    if len(baseline) < 2:
        return None
    span = baseline[-1].t_send - baseline[0].t_send
    return (len(baseline) - 1) / span if span > 0 else None


def _fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def write_summary(check: WriteCheck) -> WriteSummary:
    attempted = len(check.attempted)
    common = dict(
        store=check.store,
        attempted=attempted,
        acknowledged=len(check.acknowledged),
        unknown=len(check.unknown),
        duplicates=check.duplicates,
        read_error=check.read_error,
    )
    if check.read_error is not None:
        # `present` is meaningless when the read-back failed; reporting every write as lost would lie.
        unknown_counts = dict.fromkeys(("ok", "lost", "unexpected", "recovered"))
        unknown_fractions = dict.fromkeys(("ok_fraction", "lost_fraction", "unexpected_fraction", "recovered_fraction"))
        return WriteSummary(**common, **unknown_counts, **unknown_fractions, lost_seqs=(), unexpected_seqs=())
    ok, lost, unexpected, recovered = len(check.ok), len(check.lost), len(check.unexpected), len(check.recovered)
    return WriteSummary(
        **common,
        ok=ok,
        lost=lost,
        unexpected=unexpected,
        recovered=recovered,
        ok_fraction=_fraction(ok, attempted),
        lost_fraction=_fraction(lost, attempted),
        unexpected_fraction=_fraction(unexpected, attempted),
        recovered_fraction=_fraction(recovered, attempted),
        lost_seqs=tuple(sorted(check.lost)[:MAX_LISTED_SEQS]),
        unexpected_seqs=tuple(sorted(check.unexpected)[:MAX_LISTED_SEQS]),
    )


def outcome_counts(requests: Iterable[Request]) -> dict[str, int]:
    counts = Counter(request.outcome for request in requests)
    # Every known outcome, zeros included, so journal tables have stable columns.
    return {outcome: counts.pop(outcome, 0) for outcome in OUTCOMES} | dict(counts)


def latest_activity(timelines: Iterable[ProbeTimeline]) -> float | None:
    ends = [request.t_send + request.latency for timeline in timelines for request in timeline.requests]
    return max(ends) if ends else None


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def measure_probe(timeline: ProbeTimeline, window: FaultWindow, *, run_end: float, stable_s: float = 1.0) -> ProbeMeasures:
    ordered = in_time_order(timeline.requests)
    baseline = [request for request in ordered if request.t_send < window.injected_at]
    in_window = [request for request in ordered if window.injected_at <= request.t_send <= run_end]
    during_until = run_end if window.reverted_at is None else window.reverted_at
    during = [request for request in in_window if request.t_send < during_until]

    bound = LatencyBound.from_baseline(baseline)
    rate = expected_rate(timeline, baseline)
    search = _Recovery(
        requests=[r for r in ordered if r.t_send <= run_end], bound=bound, run_end=run_end, stable_s=stable_s,
        min_samples=max(1, math.floor(MIN_STABLE_FRACTION * rate * stable_s)) if rate else 1,
    )
    failover_s, recovered_at, new_requests_ok_s = primary_recovery(search, window)
    failed = [request for request in in_window if not request.ok]
    return ProbeMeasures(
        probe=timeline.probe,
        requests_total=len(in_window),
        requests_failed=len(failed),
        failure_pct=100 * _fraction(len(failed), len(in_window)),
        baseline_total=len(baseline),
        baseline_failed=sum(1 for request in baseline if not request.ok),
        outcomes=outcome_counts(in_window),
        time_to_first_error_s=failed[0].t_send - window.injected_at if failed else None,
        failover_s=failover_s,
        recovered_at=recovered_at,
        return_disruption=return_disruption(search, window, recovered_at),
        latency_before=latency_summary(baseline),
        latency_during=latency_summary(during),
        writes=None if timeline.check is None else write_summary(timeline.check),
        longest_stall_s=longest_stall(in_window, window.injected_at, run_end),
        latency_bound_s=bound.seconds,
        latency_bound_rule=bound.rule,
        requests_slow=sum(1 for request in in_window if request.ok and not bound.good(request)),
        new_requests_ok_s=new_requests_ok_s,
    )


def longest_stall(window_requests: Sequence[Request], start: float, end: float) -> float | None:
    """Longest gap between successful completions (t_send + latency) within [start, end]."""
    if not window_requests:
        return None
    done = sorted(r.t_send + r.latency for r in window_requests if r.ok and r.t_send + r.latency <= end)
    marks = [start, *done, end]
    return max(b - a for a, b in zip(marks, marks[1:]))


def _max_or_none(values: Iterable[float | None]) -> float | None:
    """Max, where None (never recovered) is worse than any number."""
    collected = list(values)
    if any(value is None for value in collected):
        return None
    return max(collected, default=0.0)  # type: ignore[type-var]


def summarize_return_disruptions(probes: Iterable[ProbeMeasures]) -> ReturnDisruptionSummary | None:
    disruptions = [measures.return_disruption for measures in probes if measures.return_disruption is not None]
    if not disruptions:
        return None
    return ReturnDisruptionSummary(
        failed=max(disruption.failed for disruption in disruptions),
        duration_s=_max_or_none(disruption.duration_s for disruption in disruptions),
    )


def measure_scenario(timelines: list[ProbeTimeline], window: FaultWindow, *, run_end: float | None = None, stable_s: float = 1.0) -> ScenarioMeasures:
    """Measure every probe against the same window. Without `run_end`, the run is taken to end
    when the last request of any probe completed."""
    names = [timeline.probe for timeline in timelines]
    if len(set(names)) != len(names):
        raise ValueError(f"one timeline per probe expected, got {names}")
    if run_end is None:
        run_end = latest_activity(timelines)
    if run_end is None:  # nobody recorded anything
        run_end = window.injected_at if window.reverted_at is None else max(window.injected_at, window.reverted_at)

    probes = {timeline.probe: measure_probe(timeline, window, run_end=run_end, stable_s=stable_s) for timeline in timelines}
    http = probes.get(HTTP_PROBE)
    return ScenarioMeasures(
        injected_at=window.injected_at,
        reverted_at=window.reverted_at,
        run_end=run_end,
        probes=probes,
        failover_s=_max_or_none(measures.failover_s for measures in probes.values()),
        requests_total=0 if http is None else http.requests_total,
        requests_failed=0 if http is None else http.requests_failed,
        failed_writes_acknowledged_lost={
            measures.writes.store: measures.writes.lost
            for measures in probes.values()
            if measures.writes is not None and measures.writes.lost is not None
        },
        return_disruption=summarize_return_disruptions(probes.values()),
    )


# ---------------------------------------------------------------------------------------------
# Judging
# ---------------------------------------------------------------------------------------------


def format_seconds(seconds: float) -> str:
    # 12.4 -> "12.4", 10.0 -> "10", 10.04 -> "10.04": readable, yet never hides a breach.
    return f"{seconds:.2f}".rstrip("0").rstrip(".")


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _worst_judged(measures: ScenarioMeasures, failover_of: Sequence[str], figure: str) -> float | None:
    """A per-probe figure over the probes a budget names (all when it names none); None, never
    recovered, is worse than any number, and so is no probe at all."""
    values = [getattr(p, figure) for name, p in measures.probes.items() if not failover_of or name in failover_of]
    return None if not values or any(v is None for v in values) else max(values)


def judged_failover(measures: ScenarioMeasures, failover_of: Sequence[str] = ()) -> float | None:
    """The failover a budget limits: of the named probes, or the worst of all (the default)."""
    return measures.failover_s if not failover_of else _worst_judged(measures, failover_of, "failover_s")


def judged_new_requests_ok(measures: ScenarioMeasures, failover_of: Sequence[str] = ()) -> float | None:
    """The send-side figure for the same probes as `judged_failover`."""
    return _worst_judged(measures, failover_of, "new_requests_ok_s")


def judge(measures: ScenarioMeasures, budget: Budget) -> Verdict:
    """Check the measures against a budget; list every broken budget as a readable sentence."""
    max_failover_s, max_failed_requests = budget.max_failover_s, budget.max_failed_requests
    max_lost_writes, counts_return = budget.max_lost_writes, budget.counts_return_disruption
    probes = measures.probes.values()
    reasons: list[str] = []

    for probe in probes:
        if probe.writes is not None and probe.writes.read_error is not None:
            reasons.append(f"could not read back {probe.writes.store}: {probe.writes.read_error}")
    for probe in probes:
        if probe.requests_total == 0:
            # No evidence is not a pass: a probe that went silent may have hung on the fault.
            reasons.append(f"{probe.probe} recorded no requests after the fault was injected")
    for probe in probes:
        if probe.never_recovered:
            reasons.append(f"{probe.probe} never recovered before the run ended")
    for probe in probes:
        # Even when the return disruption is expected, ending the run down is not.
        if probe.return_disruption is not None and probe.return_disruption.never_recovered:
            reasons.append(f"{probe.probe} never recovered from the return of the failed node before the run ended")

    broken = len(reasons)  # the reasons above are broken promises; those below, numbers over budget
    if max_failover_s is not None:
        failover_of = budget.failover_of or ()
        judged = judged_failover(measures, failover_of)
        whose = f" for {', '.join(failover_of)}" if failover_of else ""
        if judged is not None and judged > max_failover_s:
            reasons.append(f"failover took {format_seconds(judged)} s{whose}, budget {format_seconds(max_failover_s)} s")
        # The return is judged for the same probes as the failover it follows.
        returned = (summarize_return_disruptions(measures.probes[p] for p in failover_of if p in measures.probes)
                    if failover_of else measures.return_disruption)
        if counts_return and returned is not None and returned.duration_s is not None and returned.duration_s > max_failover_s:
            reasons.append(
                f"the return of the failed node disrupted service{whose} for {format_seconds(returned.duration_s)} s, "
                f"budget {format_seconds(max_failover_s)} s"
            )

    if max_failed_requests is not None:
        http = measures.probes.get(HTTP_PROBE)
        returned_failed = 0 if http is None or http.return_disruption is None else http.return_disruption.failed
        counted = measures.requests_failed if counts_return else measures.requests_failed - returned_failed
        if counted > max_failed_requests:
            reasons.append(f"{_plural(counted, 'request', 'requests')} failed, budget {max_failed_requests}")
            if counts_return and returned_failed:
                reasons.append(f"the return of the failed node caused {_plural(returned_failed, 'failed request', 'failed requests')}")

    over_budget = len(reasons) - broken
    for store, max_lost in max_lost_writes.items():
        lost = measures.failed_writes_acknowledged_lost.get(store)
        if lost is not None and lost > max_lost:
            reasons.append(f"{store} lost {_plural(lost, 'acknowledged write', 'acknowledged writes')}, budget {max_lost}")

    return Verdict(passed=not reasons, reasons=reasons, only_over_budget=bool(reasons) and over_budget == len(reasons))
