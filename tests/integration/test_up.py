"""`make up` waits for steady state, not just for health checks: a Postgres cluster whose
members were just recreated, or whose initialize race was lost, must not fail the first command a
newcomer types. (A lab brought down and up again, on another subnet and back: test_your_service.)"""

from __future__ import annotations

import re

import docker
import pytest
import requests

from halab.lab import topology

from .conftest import assert_every_role_held, make_up, run

pytestmark = pytest.mark.integration

def test_make_up_waits_for_a_recreated_postgres_cluster_to_name_a_sync_standby(lab, capsys):
    # Recreated members come back healthy (their REST API answers) before Patroni has named a
    # synchronous standby again: the race that used to fail `make up`.
    recreate = run("docker", "compose", "up", "-d", "--force-recreate", "--no-deps", "pg1", "pg2", "pg3", check=False)
    assert recreate.returncode == 0, recreate.stderr
    output = make_up(capsys, "after recreating pg1..3")
    assert re.search(r"sync standby pg\d", output), output[-3000:]
    assert assert_every_role_held()["pg_sync_standby"]


def test_a_new_postgres_cluster_whose_initialize_race_was_lost_bootstraps_by_itself(lab, capsys):
    # patroni/patroni#527, met in CI on a Swarm: the race's winner is told it lost, and every member
    # waits for a leader for ever. Plant what it leaves (members with no data, an empty initialize
    # key that no member holds); the Postgres image's guard must free the cluster, alone.
    removed = run("docker", "compose", "rm", "--stop", "--force", "pg1", "pg2", "pg3", check=False)
    assert removed.returncode == 0, removed.stderr
    for member in ("pg1", "pg2", "pg3"):
        docker.from_env().volumes.get(f"{topology.PROJECT}_{member}").remove()
    etcd = f"http://{topology.ETCDS['etcd1']}:{topology.ETCD_PORT}/v2/keys/service/halab"
    assert requests.delete(etcd, params={"recursive": "true"}, timeout=5).status_code in (200, 404)
    planted = requests.put(f"{etcd}/initialize", data={"value": "", "prevExist": "false"}, timeout=5)
    assert planted.status_code == 201, planted.text
    # The app's replicas made their tables in the database that went: they start again.
    restarted = run("docker", "compose", "restart", "app1", "app2", "app3", check=False)
    assert restarted.returncode == 0, restarted.stderr

    make_up(capsys, "after a lost initialize race")

    logs = {m: run("docker", "compose", "logs", "--no-log-prefix", m).stdout for m in ("pg1", "pg2", "pg3")}
    # The plant took: members waited for a leader that never came, until the guard freed them.
    assert all("waiting for leader to bootstrap" in text for text in logs.values()), logs
    said = [line for text in logs.values() for line in text.splitlines() if "halab bootstrap guard:" in line]
    # One guard's delete goes through; another that tried at the same moment is refused and says so.
    freed = [line for line in said if "removed it, the members race again" in line]
    assert len(freed) == 1 and all(line in freed or line.endswith("left as it is") for line in said), said
    with capsys.disabled():
        print(f"\n[lost initialize race] {freed[0]}")
    assert assert_every_role_held()["pg_leader"]
