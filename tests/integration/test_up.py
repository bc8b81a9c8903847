"""`make up` waits for steady state, not just for health checks: a Postgres cluster whose
members were just recreated, and a lab brought down and up again, must not fail the first command
a newcomer types. Runs last (it takes the lab down and up), leaving a fresh lab running."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import lab_status, run

pytestmark = pytest.mark.integration

ROLES = ("vip_holder", "pg_leader", "pg_sync_standby", "redis_master", "kafka_controller", "etcd_leader")


def make_up(capsys, label: str) -> str:
    started = time.monotonic()
    proc = run("make", "up", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"make up exited {proc.returncode}:\n{output[-4000:]}"
    ready = re.search(r"lab ready: .*", output)
    with capsys.disabled():
        print(f"\n[make up after {label}] {ready.group(0) if ready else '?'}; {time.monotonic() - started:.0f} s with the image check")
    return output


def assert_every_role_held() -> dict:
    status = lab_status()
    assert status["healthy"], status["problems"]
    assert all(status[role] for role in ROLES), {role: status[role] for role in ROLES}
    return status


def test_make_up_waits_for_a_recreated_postgres_cluster_to_name_a_sync_standby(lab, capsys):
    # Recreated members come back healthy (their REST API answers) before Patroni has named a
    # synchronous standby again: the race that used to fail `make up`.
    recreate = run("docker", "compose", "up", "-d", "--force-recreate", "--no-deps", "pg1", "pg2", "pg3", check=False)
    assert recreate.returncode == 0, recreate.stderr
    output = make_up(capsys, "recreating pg1..3")
    assert re.search(r"sync standby pg\d", output), output[-3000:]
    assert assert_every_role_held()["pg_sync_standby"]


@pytest.mark.parametrize("cycle", [1, 2, 3])
def test_make_down_then_make_up_ends_with_every_role_held(lab, capsys, cycle):
    down = run("make", "down", check=False)
    assert down.returncode == 0, down.stdout + down.stderr
    make_up(capsys, f"make down (cycle {cycle} of 3)")
    assert_every_role_held()
