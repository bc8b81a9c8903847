"""A scenario's timeline as compact data for the page's charts (drawn by report.js).

Times are seconds relative to the injection (the fault is t=0), so every figure reads off the
axis: failover ends at `failover_s`. Per probe:

- `strip`: availability at `CELL_S` resolution, by when requests were sent, each cell the worst
  of its requests (timed out > failed > slow > ok), run-length encoded as [class, cells, ...].
- `pts`: one point per request drawn, columns `t` (ms, the first absolute, then deltas), `l`
  (latency in 0.1 ms, three significant digits) and `c` (class). Every failed, timed-out and
  slow request is drawn; of the good ones, the fastest and the slowest of each `THIN_S` slice,
  which keeps the band's edges and halves the page at 50 requests/s. `x` holds the details of
  every request that was not good, for the hover line.
- `figs`: the measured figures where they are measured: failover as a bar from the injection to
  the probe's recovery (injected_at + failover_s), new requests ok, the longest stall where it
  was, the return disruption, the failover budget.
"""

from __future__ import annotations

import math
from typing import Iterable

from halab.chaos.engine.measure import format_seconds as _fmt
from halab.chaos.journal.schema import Latency, ProbeMeasures, Record, Scenario, Window

CELL_S = 0.1
THIN_S = 0.2
# A probe's longest stall is drawn when it is the scenario's (the table's figure) or at least this
# long; the other probes' are the ordinary gaps between requests.
STALL_SHOWN_S = 1.0
OK, SLOW, FAILED, TIMEOUT, NONE = range(5)
CLASS_NAMES = ("ok", "slow", "failed", "timed out", "no request")
_EPSILON = 1e-9  # as measure's: exactly the bound is still good


def classify(record: Record, bound_s: float) -> int:
    if record.outcome == "timeout":
        return TIMEOUT
    if record.outcome != "ok":
        return FAILED
    return SLOW if record.latency > bound_s + _EPSILON else OK


def scenario_chart(s: Scenario, records: dict[str, list[Record]]) -> dict:
    """The chart of a measured scenario (`s.window` and `s.measures` set); `records`: its
    requests per probe (`Scenario.requests`)."""
    window, m = s.window, s.measures
    assert window is not None and m is not None, "only a measured scenario has a chart"
    injected, reverted = window.injected_at, window.reverted_at
    run_end = m.run_end or max((r.t_send for rs in records.values() for r in rs), default=injected)
    steady_at = reverted + s.back_to_steady_s if reverted is not None and s.back_to_steady_s is not None else None
    sent = [r.t_send for rs in records.values() for r in rs]
    x0 = min([*sent, injected]) - injected
    x1 = max(filter(None, [run_end, steady_at, reverted])) - injected

    events = [{"t": 0.0, "kind": "inject", "label": s.fault_description or "fault injected"}]
    if reverted is not None:
        events.append({"t": _r(reverted - injected), "kind": "revert", "label": "reverted"})
    rc = s.role_change
    if rc and rc.first_seen_at is not None and rc.new_holder:
        events.append({"t": _r(rc.first_seen_at - injected), "kind": "role",
                       "label": f"{rc.role}: {rc.old_holder} → {rc.new_holder}"})
    if steady_at is not None:
        events.append({"t": _r(steady_at - injected), "kind": "steady", "label": "steady again"})

    judged = s.budget.failover_of or list(m.probes)
    probes = []
    for name, pm in sorted(m.probes.items(), key=lambda kv: kv[0] not in judged):  # the judged probes on top
        rows = records.get(name, [])
        bound = pm.latency_bound_s or 0.0
        classes = [classify(r, bound) for r in rows]
        probes.append({
            "name": name,
            "judged": name in judged,
            "bound": bound,
            "base": _baseline_band(pm.latency_before),
            "n": len(rows),
            "strip": _strip(rows, classes, injected),
            **_points(rows, classes, injected),
            "figs": _figures(pm, rows, window, run_end, s.budget.max_failover_s if name in judged else None,
                             show_stall=(pm.longest_stall_s or 0) >= STALL_SHOWN_S or pm.longest_stall_s == s.longest_stall_s),
        })
    return {
        "x": [_r(x0), _r(x1)],
        "fault": [0.0, _r((reverted if reverted is not None else run_end) - injected)],
        "events": events,
        "probes": probes,
        "cell": CELL_S,
        "classes": CLASS_NAMES,
    }


def _r(t: float) -> float:
    return round(t, 3)


def _baseline_band(before: Latency) -> list[float] | None:
    if before.p50_ms is None or before.p99_ms is None:
        return None
    return [before.p50_ms / 1000, before.p99_ms / 1000]


def _strip(rows: list[Record], classes: list[int], injected: float) -> dict:
    """Worst class per CELL_S cell (cells aligned on the injection), run-length encoded."""
    if not rows:
        return {"k0": 0, "rle": []}
    cells: dict[int, int] = {}
    for r, c in zip(rows, classes):
        k = math.floor((r.t_send - injected) / CELL_S + _EPSILON)
        cells[k] = max(cells.get(k, c), c)
    k0, k1 = min(cells), max(cells)
    rle: list[int] = []
    for k in range(k0, k1 + 1):
        c = cells.get(k, NONE)
        if rle and rle[-2] == c:
            rle[-1] += 1
        else:
            rle += [c, 1]
    return {"k0": k0, "rle": rle}


def _latency_units(latency_s: float) -> int:
    """0.1 ms units, three significant digits: plenty on a log axis, and short in the page."""
    units = max(1, round(latency_s * 10_000))
    if units >= 1000:
        step = 10 ** (int(math.log10(units)) - 2)
        units = round(units / step) * step
    return units


def _points(rows: list[Record], classes: list[int], injected: float) -> dict:
    keep = _thinned(rows, classes, injected)
    strings: list[str] = []
    index: dict[str, int] = {}

    def string(value) -> int | None:
        if value is None:
            return None
        value = str(value)
        if value not in index:
            index[value] = len(strings)
            strings.append(value)
        return index[value]

    ts, ls, cs, extras = [], [], [], []
    last = 0
    for i, j in enumerate(keep):
        r, c = rows[j], classes[j]
        t = round((r.t_send - injected) * 1000)
        ts.append(t if i == 0 else t - last)
        last = t
        ls.append(_latency_units(r.latency))
        cs.append(c)
        if c != OK:
            extras.append([i, string(r.outcome), r.status, r.seq, string(r.replica),
                           string(r.lb), string(r.detail)])
    return {"pts": {"t": ts, "l": ls, "c": cs}, "x": extras, "str": strings}


def _thinned(rows: list[Record], classes: list[int], injected: float) -> list[int]:
    """Indices of the requests drawn, in send order: all that were not good, and the fastest
    and slowest good one of each THIN_S slice."""
    keep = [i for i, c in enumerate(classes) if c != OK]
    slices: dict[int, list[int]] = {}
    for i, c in enumerate(classes):
        if c == OK:
            slices.setdefault(math.floor((rows[i].t_send - injected) / THIN_S + _EPSILON), []).append(i)
    for members in slices.values():
        fastest = min(members, key=lambda i: rows[i].latency)
        slowest = max(members, key=lambda i: rows[i].latency)
        keep += {fastest, slowest}
    return sorted(keep, key=lambda i: (rows[i].t_send, i))


def _figures(pm: ProbeMeasures, rows: list[Record], window: Window, run_end: float, max_failover_s: float | None, *,
             show_stall: bool) -> list[dict]:
    injected, reverted = window.injected_at, window.reverted_at
    figs: list[dict] = []
    failover = pm.failover_s
    if failover is None and pm.requests_failed:
        figs.append({"kind": "failover", "from": 0.0, "to": None, "label": "never recovered"})
    elif failover:
        figs.append({"kind": "failover", "from": 0.0, "to": failover, "label": f"failover {_fmt(failover)} s"})
    new_ok = pm.new_requests_ok_s
    if pm.has_send_side_figure and (new_ok is None or new_ok > 0):
        figs.append({"kind": "newreq", "at": new_ok,
                     "label": "new requests never all ok" if new_ok is None else f"new requests ok {_fmt(new_ok)} s"})
    if max_failover_s is not None and figs:
        figs.append({"kind": "budget", "at": max_failover_s, "label": f"budget {_fmt(max_failover_s)} s"})
    stall = stall_span(rows, injected, run_end) if show_stall else None
    if stall is not None and pm.longest_stall_s and show_stall:
        a, b = stall
        figs.append({"kind": "stall", "from": _r(a - injected), "to": _r(b - injected),
                     "label": f"longest stall {_fmt(pm.longest_stall_s)} s"})
    rd = pm.return_disruption
    if reverted is not None and rd and (rd.failed or rd.duration_s is None or rd.duration_s > 0):
        start = reverted + (rd.time_to_first_error_s or 0.0)
        end = rd.recovered_at
        figs.append({"kind": "return", "from": _r(start - injected), "to": None if end is None else _r(end - injected),
                     "label": f"return of the failed node: {_fmt(rd.duration_s) + ' s' if rd.duration_s is not None else 'never recovered'}"
                              f", {rd.failed} failed"})
    return figs


def stall_span(rows: Iterable[Record], start: float, end: float) -> tuple[float, float] | None:
    """Where measure.longest_stall's gap lies: between two successful completions (or the
    injection, or the run's end) during the fault."""
    window = [r for r in rows if start <= r.t_send <= end]
    if not window:
        return None
    done = sorted(r.t_send + r.latency for r in window if r.outcome == "ok" and r.t_send + r.latency <= end)
    marks = [start, *done, end]
    return max(zip(marks, marks[1:]), key=lambda ab: ab[1] - ab[0])
