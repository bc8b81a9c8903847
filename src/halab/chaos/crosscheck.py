"""The game day's numbers against a client halab did not write.

The witness (images/witness) runs curl, psql, redis-cli and kcat in shell loops through the
same entry points as the probes, printing one line per attempt: `<client> <start> <end> ok|fail
<detail>`, wall-clock seconds. Here each scenario's fault window is laid over those lines and the
failover the witness saw is set beside the journal's:

  witness failover = from the injection until the end of the first successful attempt after
  the last failed one that was under way before the revert.

That is the plain reading a person would make of the shell loop's output, independent of the
probes' clients, their open-loop schedule and stable-second rule. Each client gives up after 4 s
(redis-cli after 1 s, the app's own Redis timeout). It is the less precise instrument: an answer
between the probe's bound and 4 s is a success to it, kcat retries inside its 4 s, hiding a
shorter stall, and every attempt pays for a new connection, which after a failover on a busy
machine can take seconds by itself. Each scenario is compared on the failover its budget judges
(the probes in `failover_of`, else the worst of all), the number the table shows; the two agree
when they are within `TOLERANCE_S` or `TOLERANCE_FRACTION`.

An open-loop witness (fixed-rate attempts, as the probes make) resolves short outages better but
loads a 2-core machine enough to change what it measures; README "the witness" says what was tried.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

# Witness client -> the probe whose failover it checks.
WITNESS_PROBES = {"curl": "http", "psql": "postgres", "redis-cli": "redis", "kcat": "kafka"}
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

    @property
    def agree(self) -> bool:
        if self.journal_s is None or self.witness_s is None:
            return self.journal_s is None and self.witness_s is None
        return abs(self.journal_s - self.witness_s) <= max(TOLERANCE_S, TOLERANCE_FRACTION * max(self.journal_s, self.witness_s))

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "probes": list(self.probes), "journal_s": self.journal_s, "witness_s": self.witness_s,
                "witness_attempts": self.witness_attempts, "agree": self.agree}


def parse_witness(text: str) -> dict[str, list[Attempt]]:
    """Attempts per probe name; lines that are not attempts (a client's stray output) are skipped."""
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    for line in text.splitlines():
        parts = line.split(maxsplit=4)
        if len(parts) < 4 or parts[0] not in WITNESS_PROBES or parts[3] not in ("ok", "fail"):
            continue
        try:
            start, end = float(parts[1]), float(parts[2])
        except ValueError:
            continue
        attempts[WITNESS_PROBES[parts[0]]].append(Attempt(parts[0], start, end, parts[3] == "ok"))
    return {probe: sorted(found, key=lambda a: a.end) for probe, found in attempts.items()}


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


def compare(journal: dict, attempts: dict[str, list[Attempt]]) -> list[Comparison]:
    """One row per measured scenario: its judged failover, journal beside witness, over the
    judged probes the witness has attempts for during the fault."""
    t0 = journal["clock"]["t0_unix"]
    rows = []
    for scenario in journal["scenarios"]:
        measures = scenario.get("measures")
        if not measures:
            continue
        injected = t0 + measures["injected_at"]
        reverted = None if measures["reverted_at"] is None else t0 + measures["reverted_at"]
        judged = (scenario.get("budget") or {}).get("failover_of") or list(measures["probes"])
        probes, journal_values, witness_values, seen = [], [], [], 0
        for probe in judged:
            during = [a for a in attempts.get(probe, []) if a.end > injected and (reverted is None or a.start < reverted)]
            if probe not in measures["probes"] or not during:
                continue
            probes.append(probe)
            journal_values.append(measures["probes"][probe]["failover_s"])
            witness_values.append(witness_failover(attempts[probe], injected, reverted))
            seen += len(during)
        if probes:
            rows.append(Comparison(scenario["name"], tuple(probes), _worst(journal_values), _worst(witness_values), seen))
    return rows
