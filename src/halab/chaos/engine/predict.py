"""What a scenario's failover should be, from the knobs in force: each mechanism's documented
timers, written out as a formula with the run's own values, as a range (min, expected, max).

The journal keeps it beside the measured failover (`predicted_failover_s`), the table and the
report show both, and a measurement outside the range is flagged with the likely reason. The
inputs are the knobs the services reported (`halab.chaos.engine.knobs`), so a run under the stock
profile is predicted from the stock timers. Where a step is not set by a knob (a promotion, a
client's reconnect) its cost is an assumption, named in the formula.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from halab.chaos.engine.faults import FAULTS
from halab.chaos.engine.probes import http as http_probe
from halab.chaos.engine.probes import kafka as kafka_probe
from halab.chaos.engine.probes import postgres as postgres_probe
from halab.chaos.engine.probes import redis as redis_probe
from halab.lab import tiers


@dataclass(frozen=True)
class Prediction:
    min: float
    expected: float
    max: float
    formula: str
    # Why a measurement may land above the range on a small machine, in words for the audience.
    if_above: str = ("the machine was slower than the timers assume (2 cores shared by 20 services and the probes), "
                     "or a client waited out a timeout or a backoff of its own")

    def to_json(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


# Steps no knob sets: (min, expected, max) seconds, each named in the formulas that use it.
PATRONI_PROMOTION = (0.1, 0.3, 1.0)  # taking the key in etcd and pg_promote on the sync standby (0.12 s seen)
# Before taking the key, a replica asks the old leader's REST API whether it is really gone
# (patroni/ha.py is_healthiest_node -> fetch_node_status, `timeout=2` hard-coded in 3.0.2): a
# leader that vanished silently (killed, paused, cut off) costs the whole 2 s; seen in the logs.
PATRONI_OLD_LEADER_CHECK_S = 2.0
# The probe's next connect after HAProxy points at the new primary: the next write that finds its
# pool empty starts one (20 writes a second), and a failed attempt is tried again within
# `RECONNECT_GIVE_UP_S` (psycopg_pool's own 1 s backoff no longer applies, see the probe).
POOL_RECONNECT = (0.0, 0.1, postgres_probe.RECONNECT_GIVE_UP_S)
SENTINEL_AGREEMENT = (0.0, 0.5, 1.0)  # ODOWN: the other Sentinels are asked once a second
SENTINEL_DESYNC = (0.0, 0.5, 1.0)  # a failover starts after a random delay of up to 1 s
SENTINEL_PROMOTION = (0.2, 1.0, 2.0)  # REPLICAOF NO ONE, seen in INFO (every 1 s while failing over), announced
# A new KRaft quorum leader becomes the active controller only once a follower has fetched from it
# (the high watermark), and only then starts the brokers' session timers: 0.5-1.6 s after winning
# the vote in four runs' logs on 2 cores.
KRAFT_ACTIVATION = (0.5, 1.0, 1.7)


class Knobs:
    """The journal's `knobs` section, read by name, in seconds."""

    def __init__(self, knobs: dict) -> None:
        self.raw = knobs or {}
        self.profile = ((self.raw.get("profile") or {}).get("knobs")) or {}

    def section(self, name: str) -> dict:
        return self.raw.get(name) or {}

    def number(self, section: str, key: str, scale: float = 1.0) -> float | None:
        value = self.section(section).get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            return float(value) * scale
        except (TypeError, ValueError):
            return None

    def priorities(self) -> list[float]:
        """Each load balancer's VRRP priority (the lab's are 150 and 100 when not read back)."""
        found = self.section("keepalived").get("priority")
        values = [float(p) for p in found.values()] if isinstance(found, dict) else []
        return values or [150.0, 100.0]

    def skews(self, advert_int: float) -> list[float]:
        """VRRP's skew, (256 − priority)/256 × advert_int, of each node as the backup."""
        return [(256 - p) / 256 * advert_int for p in self.priorities()]

    def primary_found_within(self) -> float:
        """How long HAProxy's /primary check takes to mark the new primary up: rise × downinter."""
        check = self.haproxy_check("HALAB_HAPROXY_PG_CHECK")
        return check.get("downinter", check.get("inter", 1.0)) * check.get("rise", 1.0)

    def haproxy_check(self, profile_key: str) -> dict[str, float]:
        """inter, fastinter, downinter (s), fall, rise of a backend's checks, from its profile line."""
        return parse_check(self.profile.get(profile_key, ""))


def parse_duration(text: str) -> float | None:
    """HAProxy's `500ms`, `1s`, `2m`, or a bare number of milliseconds, in seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*", str(text))
    if not m:
        return None
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1e-3}[m.group(2)]
    return float(m.group(1)) * scale


def parse_check(line: str) -> dict[str, float]:
    words = str(line).split()
    found: dict[str, float] = {}
    for key, value in zip(words, words[1:]):
        if key in ("inter", "fastinter", "downinter"):
            seconds = parse_duration(value)
            if seconds is not None:
                found[key] = seconds
        elif key in ("fall", "rise") and value.isdigit():
            found[key] = float(value)
    return found


def _s(x: float) -> str:
    return f"{x:g}"


def _span(low: float, high: float) -> str:
    return _s(low) if low == high else f"{_s(low)}-{_s(high)}"


# -- one function per mechanism: (knobs, scenario) -> Prediction, or None when a knob is missing ----

def vrrp(k: Knobs) -> Prediction | None:
    adv = k.number("keepalived", "advert_int")
    if adv is None:
        return None
    prios = k.priorities()
    down = sorted(3 * adv + skew for skew in k.skews(adv))
    syn = http_probe.CONNECT_TIMEOUT_S
    return Prediction(
        min=min(down), expected=sum(down) / 2 + syn / 2, max=max(down) + adv + syn,
        formula=(f"VRRP master-down = 3 × advert_int + (256 − priority)/256 × advert_int = 3 × {_s(adv)} + skew "
                 f"= {min(down):.2f}-{max(down):.2f} s (priorities {', '.join(f'{p:g}' for p in sorted(prios))}); "
                 f"+ up to one advert of detection lag; + up to the client's {_s(syn)} s connect timeout for a SYN "
                 "sent to the old holder before the gratuitous ARP"),
    )


def keepalived_track(k: Knobs) -> Prediction | None:
    interval, fall, adv = k.number("keepalived", "interval"), k.number("keepalived", "fall"), k.number("keepalived", "advert_int")
    if None in (interval, fall, adv):
        return None
    skews = k.skews(adv)
    skew = max(skews)
    return Prediction(
        min=(fall - 1) * interval + min(skews), expected=(fall - 0.5) * interval + sum(skews) / len(skews),
        max=fall * interval + skew + adv,
        formula=(f"keepalived's track script: fall ({_s(fall)}) checks every interval ({_s(interval)} s) see HAProxy gone, "
                 f"then the holder gives the VIP up with a priority-0 advert and the backup takes it after its skew "
                 f"(≤ {skew:.2f} s at advert_int {_s(adv)}); the old holder's kernel refuses connections at once meanwhile"),
    )


def haproxy_app(k: Knobs) -> Prediction | None:
    check = k.haproxy_check("HALAB_HAPROXY_APP_CHECK")
    timeout_check = parse_duration(str(k.section("haproxy").get("timeout check", "")))
    # The defaults' timeout connect, the app backend's; the Postgres listeners set their own after it.
    connect_setting = k.section("haproxy").get("timeout connect", "1s")
    connect = parse_duration(str(connect_setting[0] if isinstance(connect_setting, list) else connect_setting)) or 1.0
    if not {"inter", "fall"} <= check.keys() or timeout_check is None:
        return None
    fast = check.get("fastinter", check["inter"])
    # A check of a dead replica fails when it times out; the next one starts fastinter later.
    mark_down = check["inter"] + (check["fall"] - 1) * fast + check["fall"] * timeout_check
    retry_on = k.section("haproxy").get("retry-on") or []
    retries = any(r.strip() not in ("", "none") for r in ([retry_on] if isinstance(retry_on, str) else retry_on))
    return Prediction(
        min=0.0, expected=connect if retries else mark_down / 2, max=mark_down + connect,
        formula=(f"HAProxy marks the replica down after inter ({_s(check['inter'])} s) + (fall − 1) × fastinter "
                 f"({_s(check['fall'] - 1)} × {_s(fast)} s) + fall × timeout check ({_s(check['fall'])} × {_s(timeout_check)} s) "
                 f"= {mark_down:.2f} s; "
                 + (f"until then a request sent to it waits the {_s(connect)} s connect timeout and is replayed on another "
                    "replica (retry-on), so clients see slow answers, not errors"
                    if retries else "until then requests sent to it fail")),
    )


def patroni(k: Knobs) -> Prediction | None:
    ttl, loop = k.number("patroni", "ttl"), k.number("patroni", "loop_wait")
    if ttl is None or loop is None:
        return None
    detect = k.primary_found_within()
    p, check, pool = PATRONI_PROMOTION, PATRONI_OLD_LEADER_CHECK_S, POOL_RECONNECT
    return Prediction(
        min=ttl - loop + check + p[0] + pool[0],
        expected=ttl - loop / 2 + loop / 2 + check + p[1] + detect / 2 + pool[1],
        max=ttl + loop + check + p[2] + detect + pool[2],
        formula=(f"the leader key expires ttl − loop_wait to ttl after the kill ({_s(ttl - loop)}-{_s(ttl)} s: the leader "
                 f"renewed it every loop_wait = {_s(loop)} s); a replica sees it at its next loop (≤ {_s(loop)} s); "
                 f"it first asks the old leader's REST API whether it is really gone and waits Patroni's fixed "
                 f"{_s(check)} s timeout for the silent one; promotion {p[0]:g}-{p[2]:g} s; HAProxy's /primary check finds "
                 f"the new primary within rise × downinter = {detect:.2f} s; a pooled client connects again ≤ {pool[2]:g} s later"),
        if_above=("the clients' reconnects: a pool backs off further after repeated failures and a breaker waits its "
                  "reset, or the 2-core machine slowed Patroni's loop or the promotion"),
    )


def patroni_postgres_crash(k: Knobs) -> Prediction | None:
    loop, start_timeout = k.number("patroni", "loop_wait"), k.number("patroni", "primary_start_timeout")
    if loop is None or start_timeout is None:
        return None
    detect = k.primary_found_within()
    p, pool = PATRONI_PROMOTION, POOL_RECONNECT
    if start_timeout > 0:
        return Prediction(min=p[0], expected=loop / 2 + 2.0, max=loop + start_timeout,
                          formula=(f"primary_start_timeout = {_s(start_timeout)} s: Patroni first restarts Postgres in place "
                                   f"(crash recovery, ~2 s assumed) at its next loop (≤ {_s(loop)} s) and fails over only "
                                   "if that takes longer than primary_start_timeout"))
    return Prediction(
        min=p[0] + pool[0], expected=loop / 2 + loop / 2 + p[1] + detect / 2 + pool[1], max=2 * loop + p[2] + detect + pool[2],
        formula=(f"primary_start_timeout = 0: the leader's Patroni sees Postgres gone at its next loop (≤ {_s(loop)} s) and "
                 f"gives the leader key up at once; a replica takes it at its next loop (≤ {_s(loop)} s), the old leader's "
                 f"Patroni answering its question at once; promotion {p[0]:g}-{p[2]:g} s; HAProxy finds the new primary "
                 f"within {detect:.2f} s; a pooled client connects again ≤ {pool[2]:g} s later"),
    )


def sentinel(k: Knobs) -> Prediction | None:
    down = k.number("sentinel", "down-after-milliseconds", 1e-3)
    if down is None:
        return None
    steps = (SENTINEL_AGREEMENT, SENTINEL_DESYNC, SENTINEL_PROMOTION)
    client = redis_probe.SOCKET_TIMEOUT_S
    return Prediction(
        min=down + sum(s[0] for s in steps), expected=down + sum(s[1] for s in steps) + client / 2,
        max=down + sum(s[2] for s in steps) + client,
        formula=(f"down-after-milliseconds ({_s(down)} s) of silence, then the quorum agrees (≤ 1 s), the failover "
                 f"starts after ≤ 1 s of random delay, a replica is promoted and announced (0.2-2 s, assumed); the "
                 f"client asks the Sentinels again after its {_s(client)} s socket timeout"),
    )


def through_the_dead_broker(fenced: float, request: float) -> float:
    """When a producer's write gets through, the dead leader being fenced `fenced` s after the kill.
    Its request in flight to the dead broker times out after request_timeout_ms; while metadata still
    names the dead broker, the retry opens a new connection to it, which kafka-python also gives up
    only after request_timeout_ms (conn.py). So the write lands at the first multiple of the
    request timeout at or after the fencing (seen: fenced at 2.7 s, first writes through at 4.0 s)."""
    return max(1, math.ceil(fenced / request - 1e-9)) * request


def metadata_refresh() -> tuple[float, float, float]:
    """How long after the fencing the probe's metadata names the new leader: its next periodic
    refresh (metadata_max_age_ms), anywhere in one period."""
    age = kafka_probe.METADATA_MAX_AGE_MS / 1000
    return (0.0, age / 2, age)


def kafka_broker(k: Knobs) -> Prediction | None:
    session = k.number("kafka", "broker.session.timeout.ms", 1e-3)
    beat = k.number("kafka", "broker.heartbeat.interval.ms", 1e-3)
    if session is None or beat is None:
        return None
    request = kafka_probe.REQUEST_TIMEOUT_MS / 1000
    refresh = metadata_refresh()
    fenced = (session - beat, session - beat / 2, session)
    through = [through_the_dead_broker(f + r, request) for f, r in zip(fenced, refresh)]
    return Prediction(
        min=through[0], expected=through[1], max=through[2] + request + 0.5,
        formula=(f"the controller fences the broker broker.session.timeout ({_s(session)} s) after its last heartbeat "
                 f"(sent every {_s(beat)} s) and moves its partitions' leadership at once; the producer learns of it at its "
                 f"next metadata refresh (every {_s(refresh[2])} s) and meanwhile waits its {_s(request)} s request timeout "
                 f"on the dead broker, and again for each new connection to it, so its writes get through at the first "
                 f"multiple of {_s(request)} s after the refresh ({_span(through[0], through[2])} s); one more round "
                 f"when its metadata request meets the dead broker"),
        if_above=("more rounds of the producer's retries: kafka-python backs off reconnecting to the dead broker and "
                  "waits for metadata that still names it, or the 2-core machine delayed the controller"),
    )


def kafka_controller(k: Knobs) -> Prediction | None:
    session = k.number("kafka", "broker.session.timeout.ms", 1e-3)
    fetch = k.number("kafka", "controller.quorum.fetch.timeout.ms", 1e-3)
    election = k.number("kafka", "controller.quorum.election.timeout.ms", 1e-3)
    if None in (session, fetch, election):
        return None
    request = kafka_probe.REQUEST_TIMEOUT_MS / 1000
    activation = KRAFT_ACTIVATION
    refresh = metadata_refresh()
    through = [through_the_dead_broker(fetch + e + act + session + r, request)
               for e, act, r in zip((0, election / 2, election), activation, refresh)]
    return Prediction(
        min=through[0], expected=through[1], max=through[2] + request + 0.5,
        formula=(f"the other voters notice the dead controller after controller.quorum.fetch.timeout ({_s(fetch)} s) and "
                 f"elect a new one (≤ election timeout, {_s(election)} s); it becomes the active controller once a follower "
                 f"has fetched from it ({_span(activation[0], activation[2])} s) and fences the dead broker a full broker.session.timeout "
                 f"({_s(session)} s) later, moving its partitions; the producer gets through at the first multiple of its "
                 f"{_s(request)} s request timeout after its next metadata refresh, as for a partition leader's kill"),
        if_above=("more rounds of the producer's retries against the dead broker, or a kill that took long to land; "
                  "on 2 cores the JVMs of the surviving brokers compete with everything else"),
    )


def no_failover(what: str) -> Callable[[Knobs], Prediction]:
    def predict(k: Knobs) -> Prediction:
        return Prediction(0.0, 0.0, 0.0, formula=what)

    return predict


# Each role's failover mechanism (`halab.lab.tiers`) as a formula.
FORMULAS: dict[str, Callable[[Knobs], Prediction | None]] = {
    "vrrp": vrrp,
    "haproxy-health-check": haproxy_app,
    "patroni": patroni,
    "sentinel": sentinel,
    "kafka-leader-election": kafka_broker,
    "kafka-controller-election": kafka_controller,
}
# The faults whose target's mechanism has to act (`Fault.takes_out`). Faults that degrade a member
# (delay, loss) and roles without a modelled mechanism have no prediction.
TAKES_OUT = tuple(name for name, fault in FAULTS.items() if fault.takes_out)


def _formula(role: tiers.Role) -> Callable[[Knobs], Prediction | None]:
    if role.mechanism == tiers.NO_FAILOVER:
        return no_failover(f"no client-visible failover: the other members carry on ({role.name} is not on a client's path alone)")
    return FORMULAS[role.mechanism]


# Which mechanism recovers which scenario: (fault, target) -> formula.
MECHANISMS: dict[tuple[str, str], Callable[[Knobs], Prediction | None]] = {
    **{(f, role.name): _formula(role) for f in TAKES_OUT for role in tiers.ROLES.values() if role.mechanism},
    ("kill-process:haproxy", "vip-holder"): keepalived_track,
    ("kill-process:postgres", "pg-leader"): patroni_postgres_crash,
    ("none", ""): no_failover("nothing is injected: no failover"),
}


def predict(fault: str, target: str | None, knobs: dict, *, process: str | None = None, double: bool = False) -> Prediction | None:
    """The predicted failover of `fault` on `target` (a role, or service:<name>) under `knobs`;
    `process`: what kill-process kills; `double`: other faults injected beside it."""
    if double:
        return None  # several members down at once: no single mechanism's timers predict it
    if fault == "kill-process":
        fault = f"kill-process:{process or ''}"
    target = target or ""
    if target.startswith("service:app"):
        target = "app"
    mechanism = MECHANISMS.get((fault, target))
    return mechanism(Knobs(knobs)) if mechanism else None


class Range(Protocol):
    """A predicted range: a `Prediction`, or the one a journal recorded."""

    min: float
    max: float
    if_above: str


def explain(measured: float | None, prediction: Range | None) -> str | None:
    """A sentence for a measurement outside the predicted range; None inside it."""
    where = compare(measured, prediction)
    if where == "above":
        return f"{measured:.2f} s is above the predicted {prediction.min:.2f}-{prediction.max:.2f} s: likely {prediction.if_above}"
    if where == "below":
        return (f"{measured:.2f} s is below the predicted {prediction.min:.2f}-{prediction.max:.2f} s: the failure was "
                "noticed sooner than the timers say (an error at once instead of silence), or clients did not meet it")
    return None


def label(measured: float | None, prediction: Range | None) -> str:
    """The range as the tables show it, `min-max`, with `(above)` or `(below)` when the measure fell outside."""
    if not prediction:
        return "-"
    where = compare(measured, prediction)
    return f"{prediction.min:.1f}-{prediction.max:.1f}" + (f" ({where})" if where in ("above", "below") else "")


def compare(measured: float | None, prediction: Range | None) -> str | None:
    """'below', 'within' or 'above' the predicted range; None when either is missing."""
    if measured is None or not prediction:
        return None
    if measured < prediction.min:
        return "below"
    return "above" if measured > prediction.max else "within"
