"""The Python side's fixed IPs must match docker-compose.yml, the one the lab really runs, on the
default subnet and on another one (HALAB_SUBNET)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from halab.lab import topology

ROOT = Path(__file__).parents[3]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()


def compose_on(net: str) -> dict:
    """The compose file as Compose interpolates it when bin/lab hands it HALAB_NET."""
    return yaml.safe_load(COMPOSE_TEXT.replace("${HALAB_NET:-10.77.0}", net))


def topology_on(subnet: str) -> dict:
    code = "import json; from halab.lab import topology as t; print(json.dumps([t.VIP, t.ALL_SERVICES]))"
    out = subprocess.run([sys.executable, "-c", code], env={"HALAB_SUBNET": subnet}, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("subnet", ["10.77.0.0/24", "172.31.77.0/24"])
def test_every_service_has_the_ip_the_tools_expect(subnet):
    net = subnet.removesuffix(".0/24")
    compose, (vip, services) = compose_on(net), topology_on(subnet)
    for name, ip in services.items():
        assert ip.startswith(net + ".")
        assert compose["services"][name]["networks"]["lab"]["ipv4_address"] == ip, name
    for lb in ("lb1", "lb2"):
        assert compose["services"][lb]["environment"]["VIP"] == vip
    assert compose["networks"]["lab"]["ipam"]["config"][0]["subnet"] == subnet
    assert compose["services"]["chaos"]["environment"]["HALAB_SUBNET"] == subnet


def test_the_default_layout():
    assert topology.SUBNET == "10.77.0.0/24" and topology.VIP == "10.77.0.10"
    assert topology.ALL_SERVICES["kafka3"] == "10.77.0.73"


@pytest.mark.parametrize("subnet", ["10.77.0.5/24", "10.77.0.0/16", "10.77.300.0/24", "lab", ""])
def test_a_subnet_that_is_not_a_slash_24_is_refused_with_what_is_allowed(subnet):
    if not subnet:  # empty means the default, as in bin/lab
        assert topology_on(subnet)[0] == "10.77.0.10"
        return
    with pytest.raises(ValueError, match=r"is not a /24 ending in \.0 \(e\.g\. 10\.77\.0\.0/24"):
        topology._network_prefix(subnet)


def test_no_address_of_the_default_subnet_is_written_into_the_lab_outside_comments():
    files = [ROOT / "docker-compose.yml", ROOT / "images/lb/haproxy.cfg.tmpl", ROOT / "images/postgres/patroni.yml"]
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not re.search(r"(?<![-\w])10\.77\.0\.", code), f"{path.name}:{n}: {line.strip()}"


def test_vip_is_outside_dockers_allocation_range():
    ipam = compose_on("10.77.0")["networks"]["lab"]["ipam"]["config"][0]
    assert ipam["ip_range"] == "10.77.0.128/25"
    assert int(topology.VIP.rsplit(".", 1)[1]) < 128


def test_published_ports_bind_to_loopback_only_unless_the_dashboards_one_switch_says_otherwise():
    for name, svc in compose_on("10.77.0")["services"].items():
        for port in svc.get("ports", []):
            as_defaulted = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", str(port))  # what compose makes of it with no variable set
            assert as_defaulted.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
            variables = re.findall(r"\$\{(\w+)", str(port))
            assert variables in ([], ["DASHBOARD_BIND", "DASHBOARD_PORT"]), f"{name}: {port}"


def topology_with(env: dict) -> subprocess.CompletedProcess:
    code = "import json; from halab.lab import topology as t; print(json.dumps([t.VIP, t.ALL_SERVICES, t.REDIS_BY_ADDRESS]))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


SWARM = {"HALAB_SWARM_NODES": "10.78.0.11,10.78.0.12, 10.78.0.13", "HALAB_VIP": "10.78.0.10"}


def test_on_a_swarm_node_network_members_are_at_their_nodes_address_and_the_rest_by_name():
    vip, services, redis_by_address = json.loads(topology_with(SWARM).stdout)
    assert vip == "10.78.0.10"
    assert [services[f"{kind}2"] for kind in ("lb", "redis", "sentinel")] == ["10.78.0.12"] * 3
    assert [services[f"{kind}3"] for kind in ("app", "etcd", "pg", "kafka")] == ["app3", "etcd3", "pg3", "kafka3"]
    # lb1, redis1 and sentinel1 share node1's address: a Redis address still names one member.
    assert redis_by_address == {"10.78.0.11": "redis1", "10.78.0.12": "redis2", "10.78.0.13": "redis3"}


def test_the_stack_and_the_topology_agree_on_what_runs_on_the_nodes_network():
    from halab.swarm import stack

    assert stack.ON_THE_NODES_NETWORK is topology.ON_THE_NODES_NETWORK
    assert all(stack.on_the_nodes_network(name) == (name[:-1] in topology.ON_THE_NODES_NETWORK) for name in topology.ALL_SERVICES)


@pytest.mark.parametrize("env, message", [
    ({"HALAB_SWARM_NODES": "10.78.0.11,10.78.0.12,10.78.0.13"}, "HALAB_SWARM_NODES is set but HALAB_VIP is not"),
    ({**SWARM, "HALAB_SWARM_NODES": "10.78.0.11,10.78.0.12"}, "3 runs on node3, but HALAB_SWARM_NODES names 2 node(s)"),
])
def test_a_swarm_topology_that_cannot_place_the_lab_is_refused_with_why(env, message):
    result = topology_with(env)
    assert result.returncode != 0 and message in result.stderr


def test_a_member_is_its_kind_and_its_number_once_for_every_module():
    assert (topology.kind_of("redis2"), topology.number_of("redis2")) == ("redis", 2)
    assert (topology.kind_of("pg12"), topology.number_of("pg12")) == ("pg", 12)
    assert (topology.kind_of("kafka-init"), topology.number_of("kafka-init")) == ("kafka-init", None)
