#!/usr/bin/env python3
"""Frees a new Patroni cluster from a lost initialize race (patroni/patroni#527).

A new cluster's members race to create etcd's `initialize` key; the one whose create succeeds
runs initdb. When etcd is slow to commit (a cluster just formed on a busy machine, as on
`make up ENGINE=swarm` right after every image was loaded), the winner's create can time out and
yet be written. Patroni retries it on another etcd member, is told the key exists, and takes
itself for a loser ("failed to acquire initialize lock"). Every member then waits for a leader
that never comes ("waiting for leader to bootstrap"), for ever. Patroni's maintainers' answer is
to delete the key by hand; this does, when nothing can be lost, on every look for STUCK_S:

- the key is still empty: no member ever created a database (the one that does writes its
  system id there),
- there is no leader key, and
- every registered member's own REST API says it has no data and its Postgres is stopped
  (a member that won says "initializing new cluster" before initdb starts).

The delete compares the key's etcd index: if a member took the key meanwhile, nothing goes.
Run beside Patroni by entrypoint.sh in every member (three guards are as safe as one: the
compare lets one delete through); each ends once the cluster has a system id.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass

import urllib3

# images/postgres/patroni.yml: namespace /service/, scope halab.
CLUSTER_KEY = "/v2/keys/service/halab"
# Many of Patroni's loops (1 s tuned, 10 s stock) in which a winner would have said so; short
# against make up's wait for the lab to settle.
STUCK_S = 30.0
LOOK_EVERY_S = 1.0
# A member's own word on its state: no data ("uninitialized") and Postgres not started.
WAITING = {"role": "uninitialized", "state": "stopped"}

http = urllib3.PoolManager(timeout=urllib3.Timeout(total=2.0), retries=False)


@dataclass(frozen=True)
class Look:
    """What one look found. `initialize` and `leader` are etcd's nodes (None: no such key);
    `members` each registered member's /patroni answer (None: it did not answer)."""

    initialize: dict | None
    leader: dict | None
    members: dict[str, dict | None]


def unclaimed(look: Look) -> int | None:
    """The etcd index of an initialize key that no member uses, or None."""
    if look.initialize is None or look.initialize.get("value") != "" or look.leader is not None:
        return None
    if not look.members or any(
        answer is None or any(answer.get(k) != v for k, v in WAITING.items()) for answer in look.members.values()
    ):
        return None
    return look.initialize.get("modifiedIndex")


def initialised(look: Look) -> bool:
    """The cluster has its system id: no race is left to lose."""
    return look.initialize is not None and look.initialize.get("value") not in (None, "")


class Guard:
    """Releases a key found unclaimed on every look for `stuck_s`; a look that finds otherwise
    starts the count again."""

    def __init__(self, release, say, stuck_s: float = STUCK_S) -> None:
        self.release, self.say, self.stuck_s = release, say, stuck_s
        self.since: float | None = None
        self.index: int | None = None

    def __call__(self, look: Look, now: float) -> None:
        index = unclaimed(look)
        if index is None or index != self.index:
            self.since, self.index = (now if index is not None else None), index
            return
        if now - self.since < self.stuck_s:
            return
        waited = now - self.since
        self.since, self.index = None, None
        if self.release(index):
            self.say(f"the initialize key is taken and yet no member has bootstrapped for {waited:.0f} s "
                     f"(each waits for a leader; patroni/patroni#527): removed it, the members race again")
        else:
            self.say("the unclaimed initialize key changed before it could be removed "
                     "(another member's guard, or a member, was first): left as it is")


def etcd_hosts() -> list[str]:
    return [h.strip() for h in os.environ["PATRONI_ETCD_HOSTS"].split(",") if h.strip()]


def etcd(method: str, path: str, **fields) -> urllib3.BaseHTTPResponse | None:
    """etcd's answer from the first member that gives one."""
    for host in etcd_hosts():
        try:
            return http.request(method, f"http://{host}{CLUSTER_KEY}{path}", fields=fields or None)
        except urllib3.exceptions.HTTPError:
            continue
    return None


def node(path: str) -> dict | None:
    """An etcd node, None when there is no such key; raises LookupError when etcd gave no answer."""
    answer = etcd("GET", path)
    if answer is not None and answer.status == 404:
        return None
    if answer is None or answer.status != 200:
        raise LookupError(path)
    return json.loads(answer.data)["node"]


def member_answer(api_url: str) -> dict | None:
    try:
        answer = http.request("GET", api_url)
        return json.loads(answer.data)
    except (urllib3.exceptions.HTTPError, ValueError):
        return None


def look() -> Look:
    members_dir = node("/members") or {}
    members = {}
    for member in members_dir.get("nodes", []):
        name = member["key"].rsplit("/", 1)[-1]
        try:
            members[name] = member_answer(json.loads(member["value"])["api_url"])
        except (KeyError, TypeError, ValueError):
            members[name] = None
    return Look(node("/initialize"), node("/leader"), members)


def release(index: int) -> bool:
    answer = etcd("DELETE", "/initialize", prevIndex=str(index))
    return answer is not None and answer.status == 200


def say(text: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} halab bootstrap guard: {text}", flush=True)


def main() -> int:
    guard = Guard(release, say)
    while True:
        try:
            found = look()
        except LookupError:
            found = None  # etcd did not answer: decide nothing this time
        if found is not None:
            if initialised(found):
                return 0
            guard(found, time.monotonic())
        time.sleep(LOOK_EVERY_S)


if __name__ == "__main__":
    sys.exit(main())
