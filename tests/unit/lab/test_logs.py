"""A member's log tail: each distinct line once, at its last occurrence, so the line that says why
a member is stuck is not pushed out by its heartbeat."""

from __future__ import annotations

from halab.lab import logs
from halab.lab.status import Problem

PATRONI_STUCK = [
    "2026-11-25 03:14:01,001 INFO: no action. I am (pg3), a secondary, and following a leader (pg1)",
    "2026-11-25 03:14:01.500 UTC [412] FATAL:  could not start WAL streaming: ERROR:  requested starting point 0/5000000 on timeline 5 is not in this server's history",
    "2026-11-25 03:14:02,001 INFO: no action. I am (pg3), a secondary, and following a leader (pg1)",
    "",
    "2026-11-25 03:14:02.600 UTC [415] FATAL:  could not start WAL streaming: ERROR:  requested starting point 0/5000000 on timeline 5 is not in this server's history",
    "2026-11-25 03:14:03,001 INFO: no action. I am (pg3), a secondary, and following a leader (pg1)",
]


def test_the_cause_survives_the_heartbeat_each_line_once_at_its_last_occurrence():
    assert logs.distinct_tail(PATRONI_STUCK * 50) == [PATRONI_STUCK[4], PATRONI_STUCK[5]]


def test_only_the_last_lines_are_kept():
    lines = [f"line {chr(97 + i)}" for i in range(26)]
    assert logs.distinct_tail(lines, keep=3) == ["line x", "line y", "line z"]


def test_the_services_a_sentence_names_are_found_by_their_whole_name():
    assert logs.services_concerned(["Postgres replica pg3 is behind the primary; app1 is missing; lb12 is not ours"]) == ["app1", "pg3"]


def test_a_problem_concerns_the_services_it_names_in_the_lab_order_each_once():
    problems = [Problem("a", ["pg3", "pg1"]), Problem("b", ["pg1", "etcd2"]), "a sentence about redis2"]
    assert logs.services_concerned(problems) == ["etcd2", "pg1", "pg3", "redis2"]
