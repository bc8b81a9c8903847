"""A team's own service in the app slots (docs/your-service.md), as a team runs it: the lab taken
down and brought up with the Node.js example (`make up APP=examples/service-node/service.yaml`) on
another subnet (HALAB_SUBNET, for hosts whose VPN owns 10.77.0.0/24), a payment through the VIP,
the example's own game day against it, then the lab down and up again on the default subnet with
halab's orders service. The tests run in this order, each on what the one before left."""

from __future__ import annotations

import json

import pytest

from halab.lab import service, topology

from .conftest import ROOT, assert_every_role_held, make_up, run

pytestmark = pytest.mark.integration

APP = "examples/service-node/service.yaml"
GAMEDAY = "examples/service-node/gameday.yaml"
SUBNET = "172.31.77.0/24"
NET = SUBNET.removesuffix(".0/24")
ON_SUBNET = {"HALAB_SUBNET": SUBNET}
JUNIT = ROOT / "reports" / "your-service" / "junit.xml"


def image_of(slot: str) -> str:
    return run("docker", "inspect", "-f", "{{.Config.Image}}", f"{topology.PROJECT}-{slot}-1").stdout.strip()


def test_make_up_with_app_runs_the_node_example_in_the_app_slots_on_another_subnet(lab, capsys):
    down = run("make", "down", check=False)
    assert down.returncode == 0, down.stdout + down.stderr
    output = make_up(capsys, f"APP={APP} on {SUBNET}", {**ON_SUBNET, "APP": APP})
    assert f"app slots: service 'payments-node' (halab/service-payments-node) in app1..3, from {APP}" in output
    assert_every_role_held(ON_SUBNET)
    assert [image_of(slot) for slot in service.APP_SLOTS] == ["halab/service-payments-node"] * 3
    lb1 = run("docker", "inspect", "-f", "{{.NetworkSettings.Networks.halab_lab.IPAddress}}", "halab-lb1-1")
    assert lb1.stdout.strip() == f"{NET}.11"
    # A payment through the VIP on the new subnet, from the tools container, then read back: HAProxy
    # checks the service's own port and paths, and the service found Postgres, Redis and Kafka at
    # the new addresses the lab handed it.
    paid = run("bin/lab", "tools", "python3", "-c",
               "import json, urllib.request as u; body = json.dumps({'reference': 'subnet-1', 'payer': 'test', "
               "'amount_cents': 5}).encode(); r = u.urlopen(u.Request("
               f"'http://{NET}.10/payments', data=body, headers={{'Content-Type': 'application/json', "
               "'Idempotency-Key': 'subnet-1'}), timeout=10); p = json.load(r); "
               f"g = u.urlopen('http://{NET}.10/payments/' + str(p['id']), timeout=10); "
               "print(r.status, json.load(g)['reference'], r.headers['X-LB-Node'])",
               check=False, env=ON_SUBNET)
    assert paid.stdout.split()[:2] == ["201", "subnet-1"], paid.stdout + paid.stderr
    # Another command on the default subnet is refused: compose would try to move the running lab.
    refused = run("make", "-s", "status", check=False)
    assert refused.returncode != 0 and f"the lab runs on {SUBNET}" in refused.stderr


@pytest.fixture(scope="module")
def journal() -> dict:
    """The example's game day (examples/service-node/gameday.yaml) on the lab the test before left."""
    JUNIT.parent.mkdir(parents=True, exist_ok=True)
    done = run("bin/lab", "chaos", check=False, env={**ON_SUBNET, "FILE": GAMEDAY, "JUNIT": str(JUNIT)})
    print(done.stdout[-5000:])
    assert done.returncode in (0, 1), f"the game day failed before judging (exit {done.returncode}):\n{done.stderr[-3000:]}"
    latest = ROOT / "reports" / "latest" / "journal.json"
    return json.loads(latest.read_text())


def test_the_examples_game_day_journals_its_failover_failed_requests_and_lost_writes(journal):
    assert journal["app_service"] == {"name": "payments-node", "image": "halab/service-payments-node"}
    names = [s["name"] for s in journal["scenarios"]]
    assert names == ["pg-leader-kill", "redis-master-kill", "kafka-leader-kill"]
    for s in journal["scenarios"]:
        # The HTTP probe sent the contract's requests: its writes were payments, read back by the
        # contract's query (a write it could not classify would show as a read error).
        http = s["measures"]["probes"]["http"]
        assert http["writes"]["acknowledged"] > 0, s["name"]
        assert http["writes"].get("read_error") is None, (s["name"], http["writes"])
        assert s["writes"]["http"]["lost"] == 0, f"{s['name']}: acknowledged payments lost: {s['writes']['http']}"
        assert s["failover_s"] is not None and s["requests_total"] > 0, s["name"]
        assert s["verdict"] == "pass", f"{s['name']}: {s['reasons']}"
    assert f'value="{journal["run_id"]}"' in JUNIT.read_text()


def test_make_up_without_app_brings_halabs_orders_service_back_on_the_default_subnet(journal, capsys):
    down = run("make", "down", check=False, env=ON_SUBNET)
    assert down.returncode == 0, down.stdout + down.stderr
    output = make_up(capsys, "without APP, on the default subnet")
    assert "app slots: halab's orders service again" in output
    assert not (ROOT / "build" / "app").exists()
    assert [image_of(slot) for slot in service.APP_SLOTS] == ["halab/python"] * 3
    assert_every_role_held()
