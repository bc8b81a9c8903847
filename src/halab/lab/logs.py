"""What a member last said: the tail of its log, to explain a recovery that never came.

A member stuck after a fault usually says why (a Postgres replica that cannot stream: "requested
starting point ... is not in this server's history"), but between those lines it logs the same
heartbeat every second (Patroni's "no action. I am (pg3), a secondary"). The tail keeps each
distinct line once, at its last occurrence, so the cause is not pushed out by the chatter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import docker

from halab.lab import containers, topology

# Lines read back from the log, and distinct lines kept of them.
READ_LINES = 400
KEPT_LINES = 25
# A line's own timestamps and process ids: two lines that differ only there say the same thing.
_VARYING = re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.,]+Z?( UTC)?|\[\d+\]|\b\d+(\.\d+)?\b")


def services_concerned(problems: Iterable[str]) -> list[str]:
    """The services whose logs explain these unmet conditions, in the lab's order, each once: those
    a `status.Problem` names, else those its sentence names ("Postgres replica pg3 is behind")."""
    named: set[str] = set()
    for problem in problems:
        named.update(getattr(problem, "services", ()) or
                     (s for s in topology.ALL_SERVICES if re.search(rf"\b{re.escape(s)}\b", problem)))
    return [s for s in topology.ALL_SERVICES if s in named]


def distinct_tail(lines: Iterable[str], keep: int = KEPT_LINES) -> list[str]:
    """The last `keep` distinct lines, each at its last occurrence, in the log's order."""
    last: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(lines):
        if line.strip():
            last[_VARYING.sub("#", line)] = (i, line)
    return [line for _, line in sorted(last.values())][-keep:]


def tails(services: Iterable[str]) -> dict[str, list[str]]:
    """Each running service's distinct log tail; a service that does not run, or whose engine
    does not answer, is left out (its state is in the problems already)."""
    running = containers.the_lab()
    found = {}
    for service in services:
        if service not in running:
            continue
        try:
            raw = running[service].logs(tail=READ_LINES).decode(errors="replace")
        except (docker.errors.DockerException, OSError):
            continue
        found[service] = distinct_tail(raw.splitlines())
    return found
