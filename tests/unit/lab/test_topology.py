"""The Python side's fixed IPs must match docker-compose.yml, the one the lab really runs."""

from pathlib import Path

import yaml

from halab.lab import topology

COMPOSE = yaml.safe_load((Path(__file__).parents[3] / "docker-compose.yml").read_text())


def test_every_service_has_the_ip_the_tools_expect():
    for name, ip in topology.ALL_SERVICES.items():
        assert COMPOSE["services"][name]["networks"]["lab"]["ipv4_address"] == ip, name


def test_vip_is_outside_dockers_allocation_range():
    ipam = COMPOSE["networks"]["lab"]["ipam"]["config"][0]
    assert ipam["ip_range"] == "10.77.0.128/25"
    assert int(topology.VIP.rsplit(".", 1)[1]) < 128
    for lb in ("lb1", "lb2"):
        assert COMPOSE["services"][lb]["environment"]["VIP"] == topology.VIP


def test_published_ports_bind_to_loopback_only():
    for name, svc in COMPOSE["services"].items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
