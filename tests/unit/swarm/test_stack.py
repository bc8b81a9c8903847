"""The Swarm stack derived from docker-compose.yml: members found by name instead of fixed
addresses, pinned one per node, nothing Swarm refuses or would misuse (health checks, build)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from halab.swarm import stack
from halab.swarm.stack import StackError

ROOT = Path(__file__).resolve().parents[3]

POSTGRES_TIER = ["etcd1", "etcd2", "etcd3", "pg1", "pg2", "pg3"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def build(compose, services=POSTGRES_TIER, **kw) -> dict:
    return stack.build(compose, services, nodes=kw.pop("nodes", 3), profiles_dir=ROOT / "profiles", prefix="10.79.0", **kw)


def test_members_find_each_other_by_name_not_by_the_single_engine_addresses(compose):
    services = build(compose)["services"]
    assert services["etcd2"]["environment"]["ETCD_CLUSTER"] == "etcd1=http://etcd1:2380,etcd2=http://etcd2:2380,etcd3=http://etcd3:2380"
    assert services["etcd2"]["environment"]["ETCD_SELF_IP"] == "etcd2"
    pg2 = services["pg2"]["environment"]
    assert pg2["PATRONI_ETCD_HOSTS"] == "etcd1:2379,etcd2:2379,etcd3:2379"
    assert (pg2["PATRONI_RESTAPI_CONNECT_ADDRESS"], pg2["PATRONI_POSTGRESQL_CONNECT_ADDRESS"]) == ("pg2:8008", "pg2:5432")
    assert pg2["HALAB_NET"] == "10.79.0"  # pg_hba: the overlay network's own /24
    text = yaml.safe_dump(build(compose))
    assert "10.77.0" not in text and "${" not in text and "&id" not in text


def test_each_member_runs_on_its_own_node_with_its_volume_and_swarm_restarts_it(compose):
    doc = build(compose)
    placed = {name: s["deploy"]["placement"]["constraints"] for name, s in doc["services"].items()}
    assert placed["pg1"] == ["node.labels.halab.node == node1"] and placed["pg3"] == ["node.labels.halab.node == node3"]
    assert placed["etcd2"] == ["node.labels.halab.node == node2"]
    pg1 = doc["services"]["pg1"]
    assert pg1["volumes"] == ["pg1:/var/lib/postgresql/data"] and "pg1" in doc["volumes"]
    assert pg1["deploy"]["endpoint_mode"] == "dnsrr"  # the name is the task's address, no virtual IP between
    assert pg1["deploy"]["restart_policy"]["condition"] == "any"
    assert doc["networks"]["lab"] == {"driver": "overlay", "attachable": True, "ipam": {"config": [{"subnet": "10.79.0.0/24"}]}}
    # Two nodes: the third member shares node1 with the first.
    assert build(compose, nodes=2)["services"]["pg3"]["deploy"]["placement"]["constraints"] == ["node.labels.halab.node == node1"]


def test_what_swarm_does_not_support_or_would_misuse_is_left_out_and_the_profile_is_inlined(compose):
    pg1 = build(compose, profile="stock")["services"]["pg1"]
    for key in ("build", "depends_on", "restart", "shm_size", "healthcheck", "env_file"):
        assert key not in pg1, key
    assert pg1["environment"]["HALAB_PROFILE"] == "stock" and pg1["environment"]["HALAB_PATRONI_TTL"] == "30"
    assert pg1["image"] == "halab/postgres" and pg1["stop_grace_period"] == "20s"


def test_an_address_no_service_of_the_stack_holds_and_an_unknown_service_are_named(compose):
    with pytest.raises(StackError, match="no such service in docker-compose.yml: pg9"):
        build(compose, ["pg1", "pg9"])
    broken = {"services": {"a1": {"image": "x", "environment": {"PEER": "${HALAB_NET:-10.77.0}.99:1"}}}}
    with pytest.raises(StackError, match=r"names \$\{HALAB_NET:-10.77.0\}.99, which no service of the stack holds"):
        build(broken, ["a1"])


def test_the_command_line_writes_the_stack_and_says_what_is_wrong(capsys):
    assert stack.main(["--compose", str(ROOT / "docker-compose.yml"), "--profiles", str(ROOT / "profiles"),
                       "--nodes", "3", "pg1"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["services"]["pg1"]["image"] == "halab/postgres"
    assert stack.main(["--compose", str(ROOT / "docker-compose.yml"), "--nodes", "3", "nope"]) == 2
    assert capsys.readouterr().err == "error: no such service in docker-compose.yml: nope\n"


def test_kafka_init_is_retried_until_it_succeeds_and_runs_anywhere_while_brokers_stay_on_their_nodes(compose):
    services = build(compose, ["kafka1", "kafka2", "kafka3", "kafka-init"])["services"]
    init = services["kafka-init"]
    assert init["deploy"]["restart_policy"]["condition"] == "on-failure"  # stands in for its depends_on
    assert init["deploy"]["placement"]["constraints"] == ["node.labels.halab.control != true"] and init["entrypoint"] == ["/usr/local/bin/kafka-create-topics"]
    assert init["environment"]["KAFKA_BOOTSTRAP"] == "kafka1:9092,kafka2:9092,kafka3:9092"
    assert services["kafka2"]["environment"]["KAFKA_VOTERS"] == "1@kafka1:9093,2@kafka2:9093,3@kafka3:9093"
    assert services["kafka2"]["deploy"]["restart_policy"]["condition"] == "any"
    assert services["kafka3"]["deploy"]["placement"]["constraints"] == ["node.labels.halab.node == node3"]


def test_a_compose_file_that_is_not_one_and_a_node_count_below_one_are_refused(tmp_path, capsys):
    bad = tmp_path / "compose.yml"
    bad.write_text("services: [\n")
    assert stack.main(["--compose", str(bad), "--nodes", "3", "pg1"]) == 2
    assert capsys.readouterr().err.startswith("error: while parsing a flow")
    bad.write_text("just text\n")
    assert stack.main(["--compose", str(bad), "--nodes", "3", "pg1"]) == 2
    assert "has no 'services:' mapping" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        stack.main(["--nodes", "0", "pg1"])
    assert e.value.code == 2 and "--nodes must be 1 or more, not 0" in capsys.readouterr().err


NODE_ADDRESSES = {"node1": "10.78.0.11", "node2": "10.78.0.12", "node3": "10.78.0.13"}
REDIS_TIER = ["redis1", "redis2", "redis3", "sentinel1", "sentinel2", "sentinel3"]


def with_a_sentinel_client(compose: dict) -> dict:
    """The lab plus a client that asks the Sentinels for the master, as the app does."""
    client = {"image": "halab/python", "environment": {"HALAB_SENTINELS": compose["services"]["app1"]["environment"]["HALAB_SENTINELS"]}}
    return {**compose, "services": {**compose["services"], "client": client}}


def test_redis_and_sentinel_run_on_their_nodes_network_and_are_named_by_the_nodes_address(compose):
    doc = build(with_a_sentinel_client(compose), REDIS_TIER + ["client"], node_addresses=NODE_ADDRESSES)
    services = doc["services"]
    redis2, sentinel3 = services["redis2"], services["sentinel3"]
    assert redis2["networks"] == ["nodes"] and doc["networks"]["nodes"] == {"external": True, "name": "host"}
    assert redis2["environment"]["REDIS_SELF_IP"] == "10.78.0.12" and redis2["environment"]["REDIS_INITIAL_MASTER"] == "10.78.0.11"
    assert sentinel3["environment"]["REDIS_SELF_IP"] == "10.78.0.13"
    # A restarted member asks the Sentinels who the master is, at their nodes' addresses.
    assert redis2["environment"]["REDIS_SENTINELS"] == "10.78.0.11:26379,10.78.0.12:26379,10.78.0.13:26379"
    assert sentinel3["deploy"]["placement"]["constraints"] == ["node.labels.halab.node == node3"]
    # A client stays on the overlay and asks the Sentinels at their nodes' addresses.
    assert services["client"]["networks"] == ["lab"]
    assert services["client"]["environment"]["HALAB_SENTINELS"] == "10.78.0.11:26379,10.78.0.12:26379,10.78.0.13:26379"
    assert "nodes" not in build(compose)["networks"]  # only when a member uses it


def test_members_on_the_nodes_network_need_a_node_each_and_its_address(compose):
    with pytest.raises(StackError, match="redis1 and redis3 would share node1's network and ports: redis members need a node each"):
        build(compose, REDIS_TIER, nodes=2, node_addresses=NODE_ADDRESSES)
    with pytest.raises(StackError, match=r"redis1 is reached at node1's address .*, and node1's address was not given \(--node-address\)"):
        build(compose, ["redis1"])
    # A client names the Sentinels, so it needs their nodes' addresses even without them in the stack.
    with pytest.raises(StackError, match="sentinel1 is reached at node1's address"):
        build(with_a_sentinel_client(compose), ["client"])


def test_node_addresses_on_the_command_line(capsys):
    args = ["--compose", str(ROOT / "docker-compose.yml"), "--profiles", str(ROOT / "profiles"), "--nodes", "3"]
    assert stack.main(args + [f"--node-address={n}={a}" for n, a in NODE_ADDRESSES.items()] + ["redis3"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["services"]["redis3"]["environment"]["REDIS_SELF_IP"] == "10.78.0.13"
    with pytest.raises(SystemExit) as e:
        stack.main(args + ["--node-address", "node1:10.78.0.11", "redis1"])
    assert e.value.code == 2 and "--node-address must be nodeN=a.b.c.d, not 'node1:10.78.0.11'" in capsys.readouterr().err


EDGE = ["lb1", "lb2", "app1", "app2", "app3", "pg1", "pg2", "pg3"]


def test_the_load_balancers_hold_the_vip_on_the_nodes_lan_and_reach_their_backends_at_node_addresses(compose):
    doc = build(compose, EDGE, node_addresses=NODE_ADDRESSES, vip="10.78.0.10")
    services = doc["services"]
    lb1, lb2 = services["lb1"], services["lb2"]
    # keepalived: unicast between the two nodes' addresses, the VIP on their LAN (VRRP does not cross VXLAN).
    assert lb1["networks"] == ["nodes"] and lb1["cap_add"] == ["NET_ADMIN", "NET_RAW"]
    assert (lb1["environment"]["LB_SELF_IP"], lb1["environment"]["LB_PEER_IP"], lb1["environment"]["VIP"]) == (
        "10.78.0.11", "10.78.0.12", "10.78.0.10")
    assert lb2["deploy"]["placement"]["constraints"] == ["node.labels.halab.node == node2"]
    # HAProxy, on the nodes' network, finds each backend at its node's address and published port.
    env = lb2["environment"]
    assert [env[f"HALAB_BACKEND_APP{i}"] for i in (1, 2, 3)] == ["10.78.0.11:18000", "10.78.0.12:18000", "10.78.0.13:18000"]
    assert env["HALAB_BACKEND_PG3"] == "10.78.0.13:15432" and env["HALAB_PATRONI_API_PORT"] == "18008"
    app2, pg3 = services["app2"], services["pg3"]
    assert app2["ports"] == [{"target": 8000, "published": 18000, "protocol": "tcp", "mode": "host"}]
    assert app2["deploy"]["placement"]["constraints"] == ["node.labels.halab.node == node2"] and app2["networks"] == ["lab"]
    assert app2["environment"]["HALAB_PG_HOST"] == "10.78.0.10"  # the app writes through the VIP, as on one engine
    assert {p["published"] for p in pg3["ports"]} == {15432, 18008} and {p["mode"] for p in pg3["ports"]} == {"host"}
    assert pg3["environment"]["HALAB_CLIENTS_CIDR"] == "10.78.0.0/24"  # pg_hba admits HAProxy's connections from the LAN
    # Not the ports HAProxy binds on its own node: a host-mode port is forwarded for the VIP too.
    assert not {p["published"] for s in services.values() for p in s.get("ports", [])} & {80, 5432, 5433, 8404, 9999}


def test_the_vip_needs_its_address_on_the_lan(compose, capsys):
    with pytest.raises(StackError, match=r"the VIP \(\$\{HALAB_NET:-10.77.0\}.10\) is named, and its address on the nodes' LAN was not given \(--vip\)"):
        build(compose, ["lb1"], node_addresses=NODE_ADDRESSES)
    args = ["--compose", str(ROOT / "docker-compose.yml"), "--profiles", str(ROOT / "profiles"), "--nodes", "3"]
    with pytest.raises(SystemExit) as e:
        stack.main(args + ["--vip", "10.78.0", "lb1"])
    assert e.value.code == 2 and "--vip must be an address a.b.c.d, not '10.78.0'" in capsys.readouterr().err


def test_each_image_is_deployed_under_its_ids_tag_so_that_a_changed_image_is_rolled_out(compose):
    """Under halab/python:latest, a rebuilt image leaves the service's spec as it was, and Swarm
    keeps running the old image; under its id's tag the spec changes and Swarm rolls it out."""
    services = build(compose, POSTGRES_TIER, images={"halab/postgres": "halab/postgres:0123456789ab"})["services"]
    assert services["pg1"]["image"] == "halab/postgres:0123456789ab"
    assert services["etcd1"]["image"] == compose["services"]["etcd1"]["image"]  # not named: as it was


def test_a_bad_image_name_is_refused(capsys):
    with pytest.raises(SystemExit):
        stack.main(["--compose", str(ROOT / "docker-compose.yml"), "--nodes", "3", "--image", "halab/postgres=halab/other:1", "etcd1"])
    assert "--image must be IMAGE=IMAGE:TAG, not 'halab/postgres=halab/other:1'" in capsys.readouterr().err
