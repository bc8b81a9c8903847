"""The Swarm stack, derived from docker-compose.yml (docs/swarm.md, "The stack").

The compose file stays the one definition of every service. Swarm cannot deploy it as it is, so
this module rewrites what Swarm does not support, each for a reason Swarm's own rules give:

- fixed addresses (`ipv4_address`) do not exist on Swarm, and a rescheduled task gets a new one:
  every `${HALAB_NET}.N` that names a member becomes that member's name, which Docker's DNS
  resolves to the task (`endpoint_mode: dnsrr`, no virtual IP in between);
- `build:`, `depends_on`, `restart` and `shm_size` are not Swarm's; the images are loaded on every
  node, `make up` waits for the roles as it does on one engine, and Swarm restarts a task that ends,
  as a machine's init system would;
- health checks are left out: Swarm replaces a task whose check fails, so a Patroni member that
  is rejoining (and answers 503 for a while) would be killed in the middle of it;
- a stateful member (one with a volume) runs on one node, by the node's `halab.node` label, with
  its volume there, so it finds its data again when it restarts; a stateless service may run
  on any node but the control node (`CONTROL_LABEL`), which runs the tools and no member;
- a one-shot (a service that another waits for with `service_completed_successfully`, like
  kafka-init) is retried until it succeeds, which stands in for the `depends_on` it had;
- `env_file` (the profile) is written into the environment, so the stack file stands alone;
- Redis and its Sentinels run on their node's own network (`ON_THE_NODES_NETWORK`), and every
  address that names one of them becomes its node's LAN address: Sentinel tracks members by
  address, and a node's address is as stable as the single engine's fixed one, where a task's
  overlay address changes when it restarts (docs/swarm.md, "Redis and Sentinel");
- so do the load balancers: VRRP does not cross an overlay network, so keepalived speaks unicast
  between two nodes' addresses and the VIP (`--vip`) lives on the nodes' LAN. HAProxy, there,
  cannot reach the overlay: the members it balances publish their ports on their node
  (`PUBLISHED`, mode host), and HAProxy is told each one's node address and port.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

from halab.lab.topology import ON_THE_NODES_NETWORK, kind_of, number_of

NET_VAR = "${HALAB_NET:-10.77.0}"
_ADDRESS = re.compile(re.escape(NET_VAR) + r"\.(\d{1,3})\b")
NETWORK = "lab"
HOST_NETWORK = "nodes"  # the stack's name for Docker's `host` network
# The control node (bin/swarm) carries this label: it runs the tools, never a member of the lab.
CONTROL_LABEL = "halab.control"
# The one lab address no service holds: the VIP. On a Swarm it is an address on the nodes' LAN.
VIP_OCTET = "10"
VIP = "the VIP"
# The members HAProxy balances, published on their node (mode host) for HAProxy on the nodes'
# network: container port -> node port. Not the same numbers: HAProxy binds 5432 on its node, and
# a host-mode port is forwarded for every address of the node, the VIP's too.
PUBLISHED = {"app": {8000: 18000}, "pg": {5432: 15432, 8008: 18008}}
# What the lb image reads for where its backends are (images/lb/entrypoint.sh).
BACKEND_ENV = "HALAB_BACKEND_{kind}{number}"
PATRONI_API_PORT_ENV = "HALAB_PATRONI_API_PORT"
# pg_hba's second network (images/postgres/entrypoint.sh): HAProxy connects from its node's LAN
# address, also to a member on its own node (seen in pg_stat_activity).
CLIENTS_CIDR_ENV = "HALAB_CLIENTS_CIDR"
# Swarm's and Compose's keys that carry over as they are; everything else is rewritten or dropped.
KEPT = ("image", "hostname", "init", "cap_add", "stop_grace_period", "logging", "volumes", "entrypoint", "command")


class StackError(ValueError):
    """The compose file asks for something this stack cannot express; the message says what."""


def addresses(compose: dict) -> dict[str, str]:
    """Last octet -> member name, from each service's `ipv4_address` on the lab network."""
    found = {}
    for name, service in compose["services"].items():
        networks = service.get("networks")
        address = networks.get(NETWORK, {}).get("ipv4_address") if isinstance(networks, dict) else None
        if address:
            match = _ADDRESS.fullmatch(address)
            if not match:
                raise StackError(f"{name}: ipv4_address '{address}' is not {NET_VAR}.N")
            found[match.group(1)] = name
    return found


def on_the_nodes_network(member: str) -> bool:
    return kind_of(member) in ON_THE_NODES_NETWORK


def _by_name(value: str, names: dict[str, str], prefix: str, where: Callable[[str], str]) -> str:
    def name_of(m: re.Match) -> str:
        if m.group(1) not in names:
            raise StackError(f"'{value}' names {NET_VAR}.{m.group(1)}, which no service of the stack holds")
        return where(names[m.group(1)])

    return _ADDRESS.sub(name_of, value).replace(NET_VAR, prefix)


def _profile(service: dict, profiles_dir: Path, profile: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for path in service.get("env_file") or []:
        text = (profiles_dir / Path(path.replace("${PROFILE:-tuned}", profile)).name).read_text()
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                env[key.strip()] = value.strip()
    return env


def _number(member: str) -> int:
    """pg2 -> 2: a member's number within its cluster."""
    number = number_of(member)
    if number is None:
        raise StackError(f"'{member}' has no member number to place it by")
    return number


def node_of(member: str, nodes: int) -> str:
    """pg1 -> node1, pg2 -> node2, ...: the members of one cluster on different nodes, round robin."""
    return f"node{(_number(member) - 1) % nodes + 1}"


def _check_one_per_node(services: list[str], nodes: int) -> None:
    """Members on the nodes' network bind their ports there: two of one kind cannot share a node."""
    placed: dict[tuple[str, str], str] = {}
    for name in filter(on_the_nodes_network, services):
        kind, node = kind_of(name), node_of(name, nodes)
        if (kind, node) in placed:
            raise StackError(f"{placed[kind, node]} and {name} would share {node}'s network and ports: "
                             f"{kind} members need a node each (NODES=3 or more)")
        placed[kind, node] = name


def build(compose: dict, services: list[str], *, nodes: int, profiles_dir: Path, profile: str = "tuned",
          prefix: str = "10.77.0", node_addresses: dict[str, str] | None = None, vip: str | None = None,
          images: dict[str, str] | None = None) -> dict:
    """The stack for `services` of `compose`, on `nodes` nodes, its overlay network on `prefix`.0/24;
    `node_addresses` (node1 -> its LAN address) for the members on the nodes' network or published
    there, `vip` the VIP's address on that LAN; `images` the name each image is deployed under
    (halab/python -> halab/python:<its id>)."""
    unknown = [s for s in services if s not in compose["services"]]
    if unknown:
        raise StackError(f"no such service in docker-compose.yml: {', '.join(unknown)}")
    _check_one_per_node(services, nodes)
    names = {VIP_OCTET: VIP, **addresses(compose)}

    def node_address(member: str) -> str:
        node = node_of(member, nodes)
        if node not in (node_addresses or {}):
            raise StackError(f"{member} is reached at {node}'s address (it runs on the nodes' network or publishes its "
                             f"ports there), and {node}'s address was not given (--node-address)")
        return node_addresses[node]  # type: ignore[index]

    def where(member: str) -> str:
        if member == VIP:
            if not vip:
                raise StackError(f"the VIP ({NET_VAR}.{VIP_OCTET}) is named, and its address on the nodes' LAN was not given (--vip)")
            return vip
        return node_address(member) if on_the_nodes_network(member) else member

    def backends() -> dict[str, str]:
        """Where HAProxy finds each member it balances: its node's address and published port."""
        found = {}
        for kind, ports in PUBLISHED.items():
            for member in (m for m in compose["services"] if kind_of(m) == kind and re.search(r"\d$", m)):
                found[BACKEND_ENV.format(kind=kind.upper(), number=_number(member))] = f"{node_address(member)}:{next(iter(ports.values()))}"
        found[PATRONI_API_PORT_ENV] = str(PUBLISHED["pg"][8008])
        return found
    one_shots = {dep for service in compose["services"].values() for dep, cond in (service.get("depends_on") or {}).items()
                 if isinstance(cond, dict) and cond.get("condition") == "service_completed_successfully"}
    out: dict[str, Any] = {}
    volumes: dict[str, dict] = {}
    for name in services:
        service = compose["services"][name]
        spec = {key: service[key] for key in KEPT if key in service}
        # Named by its id, a changed image is a changed service spec, which Swarm rolls out; under
        # the same tag Swarm would keep running the old image (nothing is pulled or resolved).
        spec["image"] = (images or {}).get(spec["image"], spec["image"])
        env = {**_profile(service, profiles_dir, profile), **(service.get("environment") or {})}
        spec["environment"] = {k: _by_name(str(v), names, prefix, where) for k, v in env.items()}
        published = PUBLISHED.get(kind_of(name), {})
        if kind_of(name) == "lb":
            spec["environment"].update(backends())
        if kind_of(name) == "pg" and node_addresses:
            spec["environment"][CLIENTS_CIDR_ENV] = node_addresses[min(node_addresses)].rsplit(".", 1)[0] + ".0/24"
        if published:
            spec["ports"] = [{"target": target, "published": port, "protocol": "tcp", "mode": "host"}
                             for target, port in published.items()]
        spec["networks"] = [HOST_NETWORK if on_the_nodes_network(name) else NETWORK]
        spec["deploy"] = {
            "replicas": 1,
            "endpoint_mode": "dnsrr",
            "restart_policy": {"condition": "on-failure" if name in one_shots else "any", "delay": "1s"},
        }
        if spec.get("volumes") or on_the_nodes_network(name) or published:
            spec["deploy"]["placement"] = {"constraints": [f"node.labels.halab.node == {node_of(name, nodes)}"]}
        else:  # anywhere but the control node, which holds only the tools' images (bin/swarm)
            spec["deploy"]["placement"] = {"constraints": [f"node.labels.{CONTROL_LABEL} != true"]}
        for mount in spec.get("volumes", []):
            volumes[mount.split(":", 1)[0]] = {}
        out[name] = spec
    networks: dict[str, Any] = {NETWORK: {"driver": "overlay", "attachable": True,
                                          "ipam": {"config": [{"subnet": f"{prefix}.0/24"}]}}}
    if any(map(on_the_nodes_network, services)):
        networks[HOST_NETWORK] = {"external": True, "name": "host"}
    # A fresh copy: the compose file's anchors would come out as YAML aliases (&id001), hard to read.
    return json.loads(json.dumps({"version": "3.8", "services": out, "networks": networks, "volumes": volumes}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m halab.swarm.stack",
                                     description="Writes the Swarm stack for some of docker-compose.yml's services to stdout.")
    parser.add_argument("--compose", type=Path, default=Path("docker-compose.yml"))
    parser.add_argument("--profiles", type=Path, default=Path("profiles"))
    parser.add_argument("--profile", default="tuned")
    parser.add_argument("--nodes", type=int, required=True, help="how many nodes the members are spread over (1 or more)")
    parser.add_argument("--prefix", default="10.77.0", help="the overlay network's first three octets")
    parser.add_argument("--node-address", action="append", default=[], metavar="NODE=ADDRESS",
                        help="a node's LAN address, for the members on the nodes' network (node1=10.78.0.11)")
    parser.add_argument("--vip", help="the VIP's address on the nodes' LAN (10.78.0.10), for the load balancers and the app")
    parser.add_argument("--image", action="append", default=[], metavar="IMAGE=NAME",
                        help="deploy an image under another name, its id's tag (halab/python=halab/python:9ae98613f646)")
    parser.add_argument("services", nargs="+")
    args = parser.parse_args(argv)
    images = {}
    for item in args.image:
        image, _, name = item.partition("=")
        if not image or not name.startswith(f"{image}:"):
            parser.error(f"--image must be IMAGE=IMAGE:TAG, not '{item}'")
        images[image] = name
    if args.nodes < 1:
        parser.error(f"--nodes must be 1 or more, not {args.nodes}")
    node_addresses = {}
    for item in args.node_address:
        node, _, address = item.partition("=")
        if not re.fullmatch(r"node\d+", node) or not re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", address):
            parser.error(f"--node-address must be nodeN=a.b.c.d, not '{item}'")
        node_addresses[node] = address
    if args.vip is not None and not re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", args.vip):
        parser.error(f"--vip must be an address a.b.c.d, not '{args.vip}'")
    try:
        compose = yaml.safe_load(args.compose.read_text())
        if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
            raise StackError(f"{args.compose} has no 'services:' mapping")
        stack = build(compose, args.services, nodes=args.nodes, profiles_dir=args.profiles, profile=args.profile,
                      prefix=args.prefix, node_addresses=node_addresses, vip=args.vip, images=images)
    except (OSError, yaml.YAMLError, StackError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    yaml.safe_dump(stack, sys.stdout, sort_keys=False, width=200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
