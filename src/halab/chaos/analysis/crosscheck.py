"""The game day's numbers against clients halab did not write.

The witness runs curl, psql and redis-cli in shell loops through the same entry points as the
probes (images/witness), printing one line per attempt: `<client> <start> <end> ok|fail
<detail>`, wall-clock seconds; and Kafka's own VerifiableProducer, one JSON line per
acknowledgement (images/kafka/bin/kafka-witness-producer). Here each scenario's fault window is
laid over those attempts and the failover the witness saw is set beside the journal's:

  witness failover = from the injection until the end of the first successful attempt after
  the last failed one that was under way before the revert.

That is the plain reading a person would make of the shell loop's output, independent of the
probes' clients, their open-loop schedule and stable-second rule. Each shell client gives up
after 4 s (redis-cli after 1 s, the app's own Redis timeout).

Clients keep their connections or not, and that decides how an answer is judged. curl and
redis-cli open a new connection per attempt, which on a busy machine can take seconds by itself:
an answer between the probe's bound and their give-up is a success to them. psql keeps one
session open, as the probe keeps its pool, and Kafka's producer keeps its connections and sends
on a fixed schedule: their answers at rest take what the store takes (a few ms), so an answer
slower than the journal's latency bound is as bad to them as to the probe (`BOUND_JUDGED`), and a
stall they ride out still counts.

Each scenario is compared on the failover its budget judges (the probes in `failover_of`, else
the worst of all), the number the table shows; the two agree when they are within `TOLERANCE_S`
or `TOLERANCE_FRACTION`. docs/measurements.md and CHANGELOG.md say what else was tried.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from halab.chaos.journal.schema import Journal

# Witness client -> the probe whose failover it checks.
WITNESS_PROBES = {"curl": "http", "psql": "postgres", "redis-cli": "redis", "verifiable-producer": "kafka"}
# Clients that keep their connections: an answer slower than the journal's latency bound is a
# failure to them too (module docstring).
BOUND_JUDGED = frozenset({"verifiable-producer", "psql"})
# The first line kafka-witness-producer prints: the rate its throttle sends at.
PRODUCER_HEADER = re.compile(r"^verifiable-producer rate=(?P<rate>[0-9.]+)\b")
TOLERANCE_S = 0.5
TOLERANCE_FRACTION = 0.15


@dataclass(frozen=True)
class Attempt:
    client: str
    start: float  # wall clock, seconds since the epoch
    end: float
    ok: bool


@dataclass(frozen=True)
class Comparison:
    scenario: str
    probes: tuple[str, ...]  # whose failover: the budget's failover_of, else every probe
    journal_s: float | None  # None: never recovered
    witness_s: float | None
    witness_attempts: int  # attempts under way during the fault window
    runs: int = 1  # how many runs' pairs a median row was taken over (over_runs)

    @property
    def agree(self) -> bool:
        if self.journal_s is None or self.witness_s is None:
            return self.journal_s is None and self.witness_s is None
        return abs(self.journal_s - self.witness_s) <= max(TOLERANCE_S, TOLERANCE_FRACTION * max(self.journal_s, self.witness_s))

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "probes": list(self.probes), "journal_s": self.journal_s, "witness_s": self.witness_s,
                "witness_attempts": self.witness_attempts, "runs": self.runs, "agree": self.agree}


def parse_witness(text: str) -> dict[str, list[Attempt]]:
    """Attempts per probe name; lines that are not attempts (a client's stray output) are skipped."""
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    producer = _ProducerLines()
    for line in text.splitlines():
        if (attempt := producer.read(line)) is not None:
            attempts[WITNESS_PROBES[attempt.client]].append(attempt)
            continue
        parts = line.split(maxsplit=4)
        if len(parts) < 4 or parts[0] not in WITNESS_PROBES or parts[3] not in ("ok", "fail"):
            continue
        try:
            start, end = float(parts[1]), float(parts[2])
        except ValueError:
            continue
        attempts[WITNESS_PROBES[parts[0]]].append(Attempt(parts[0], start, end, parts[3] == "ok"))
    return {probe: sorted(found, key=lambda a: a.end) for probe, found in attempts.items()}


class _ProducerLines:
    """Kafka's VerifiableProducer output as attempts. It prints when each answer arrived, not when
    the message was sent; its throttle sends message i (the value) i/rate seconds after
    `startup_complete`, within one period, so that is taken as the start."""

    def __init__(self) -> None:
        self.rate: float | None = None
        self.started_at: float | None = None

    def read(self, line: str) -> Attempt | None:
        if header := PRODUCER_HEADER.match(line):
            self.rate, self.started_at = float(header["rate"]), None  # a new producer process
            return None
        if self.rate is None or not line.startswith("{"):
            return None
        try:
            event = json.loads(line)
            name, at = event["name"], event["timestamp"] / 1000
            if name == "startup_complete":
                self.started_at = at
                return None
            if name not in ("producer_send_success", "producer_send_error") or self.started_at is None:
                return None
            start = self.started_at + int(event["value"]) / self.rate
        except (ValueError, KeyError, TypeError):
            return None
        return Attempt("verifiable-producer", start, max(start, at), name == "producer_send_success")


def witness_failover(attempts: list[Attempt], injected_at: float, reverted_at: float | None) -> float | None:
    """Seconds from the injection until the witness succeeded again; None if it never did."""
    until = float("inf") if reverted_at is None else reverted_at
    failed = [a for a in attempts if a.start < until and a.end > injected_at and not a.ok]
    if not failed:
        return 0.0
    last_failure_end = max(a.end for a in failed)
    recovered = next((a.end for a in attempts if a.ok and a.end >= last_failure_end), None)
    return None if recovered is None else recovered - injected_at


def _worst(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]


def judged_by_bound(attempts: list[Attempt], bound_s: float | None) -> list[Attempt]:
    """A BOUND_JUDGED client's answer slower than the journal's latency bound is a failure."""
    if bound_s is None:
        return attempts
    return [replace(a, ok=False) if a.ok and a.client in BOUND_JUDGED and a.end - a.start > bound_s else a
            for a in attempts]


def compare(journal: Journal, attempts: dict[str, list[Attempt]]) -> list[Comparison]:
    """One row per measured scenario: its judged failover, journal beside witness, over the
    judged probes the witness has attempts for during the fault. The journal must have its
    wall-clock start (`clock.t0_unix`)."""
    t0 = journal.clock.t0_unix
    if t0 is None:
        raise ValueError(f"journal {journal.run_id} has no wall-clock start (clock.t0_unix)")
    rows = []
    for scenario in journal.scenarios:
        measures = scenario.measures
        if not measures:
            continue
        injected = t0 + measures.injected_at
        reverted = None if measures.reverted_at is None else t0 + measures.reverted_at
        judged = scenario.budget.failover_of or list(measures.probes)
        probes, journal_values, witness_values, seen = [], [], [], 0
        for probe in judged:
            during = [a for a in attempts.get(probe, []) if a.end > injected and (reverted is None or a.start < reverted)]
            if probe not in measures.probes or not during:
                continue
            measured = measures.probes[probe]
            probes.append(probe)
            journal_values.append(measured.failover_s)
            witness_values.append(witness_failover(judged_by_bound(attempts[probe], measured.latency_bound_s), injected, reverted))
            seen += len(during)
        if probes:
            rows.append(Comparison(scenario.name, tuple(probes), _worst(journal_values), _worst(witness_values), seen))
    return rows


def _median(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else statistics.median(values)  # type: ignore[type-var]


def over_runs(runs: list[list[Comparison]]) -> list[Comparison]:
    """Each scenario's median over several runs, the journal's and the witness's each, one run one
    sample (as `halab chaos median` takes them). A shell loop samples an outage a few times a second,
    so one run's pair can differ by its gap between attempts; the medians are what the tables show.
    A side that never recovered in one run has no median."""
    by_scenario: dict[str, list[Comparison]] = {}
    for rows in runs:
        for row in rows:
            by_scenario.setdefault(row.scenario, []).append(row)
    return [Comparison(name, rows[0].probes, _median([r.journal_s for r in rows]), _median([r.witness_s for r in rows]),
                       sum(r.witness_attempts for r in rows), runs=len(rows))
            for name, rows in by_scenario.items()]
