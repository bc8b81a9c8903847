"""The Swarm's nodes as the chaos controller sees them (docs/swarm.md, "Node faults").

Each node is a machine: on this machine, a Docker-in-Docker container that `bin/swarm` started on
the bridge playing the LAN, found on this machine's engine by its label. Faults on a node act on
that container (the machine's power, its freezer, its network cable); what runs *on* a node is
asked of the node's own engine at its LAN address, as it would be on a real machine.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import docker
from docker.models.containers import Container
from docker.models.networks import Network

from halab.lab import containers, roles, topology

# bin/swarm's names: the label on everything it creates, the LAN bridge, the stack.
OWNER_LABEL = "halab.swarm"
ADDRESS_LABEL = "halab.swarm.address"
LAN = "halab-swarm-lan"
STACK = containers.SWARM_STACK
ENGINE_PORT = containers.NODE_ENGINE_PORT
PATRONI_MEMBERS = tuple(topology.PGS)
# Roles whose node a fault can target, as the single-engine lab names them.
PATRONI_ROLES = {"pg-leader": "leader", "pg-sync-standby": "sync_standby", "pg-replica": "replica"}
ROLE_TARGETS = (*PATRONI_ROLES, "vip-holder", "redis-master")
HOST_DOCKER_ENV = topology.HOST_DOCKER_ENV


class SwarmError(Exception):
    """What the Swarm cannot do now, said so that the user knows what to run."""


@dataclass(frozen=True)
class Node:
    name: str  # node1, node2, ... (its hostname in the Swarm)
    container: Container  # on this machine's engine
    address: str  # on the LAN, fixed when bin/swarm started it

    @property
    def state(self) -> str:
        """running, paused, exited, ... and "partitioned" when it is off the LAN."""
        self.container.reload()
        if self.container.status == "running" and LAN not in self.container.attrs["NetworkSettings"]["Networks"]:
            return "partitioned"
        return self.container.status

    def engine(self, timeout: int = 10) -> docker.DockerClient:
        return docker.DockerClient(base_url=f"tcp://{self.address}:{ENGINE_PORT}", timeout=timeout)


@dataclass
class Swarm:
    client: docker.DockerClient  # this machine's engine, which runs the node containers

    @classmethod
    def connect(cls) -> "Swarm":
        """This machine's engine: the process's own (`make node-fault` runs on this machine), or,
        on the control node, the one its HALAB_SWARM_HOST_DOCKER names (bin/swarm mounts it)."""
        host = os.environ.get(HOST_DOCKER_ENV)
        return cls(docker.DockerClient(base_url=host, timeout=30) if host else docker.from_env())

    def nodes(self) -> dict[str, Node]:
        found = {}
        for ct in self.client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}=node"}):
            name = ct.name.removeprefix("halab-")
            address = ct.labels.get(ADDRESS_LABEL)
            if address is None:
                raise SwarmError(f"{ct.name} was started by an older bin/swarm (no {ADDRESS_LABEL} label): "
                                 "'make down ENGINE=swarm' and 'make up ENGINE=swarm' again")
            found[name] = Node(name, ct, address)
        if not found:
            raise SwarmError("no Swarm nodes are running: 'make up ENGINE=swarm' starts them")
        return dict(sorted(found.items(), key=lambda item: int(item[0].removeprefix("node"))))

    def node(self, name: str) -> Node:
        nodes = self.nodes()
        if name not in nodes:
            raise SwarmError(f"no node '{name}'; the Swarm has {', '.join(nodes)}")
        return nodes[name]

    def lan(self) -> Network:
        return self.client.networks.get(LAN)

    def tasks(self, service: str) -> dict[str, Container]:
        """The running containers of a stack service, by the node that runs them (running nodes
        on the LAN only: a frozen or cut-off node cannot be asked)."""
        found = {}
        for node in self.nodes().values():
            if node.state != "running":
                continue
            try:
                for ct in node.engine().containers.list(filters={"label": f"com.docker.swarm.service.name={STACK}_{service}"}):
                    found[node.name] = ct
            except docker.errors.DockerException:
                continue  # its engine does not answer (starting again after a kill)
        return found

    def patroni_roles(self) -> dict[str, tuple[str, str]]:
        """{member: (role, state)} from Patroni's /cluster, asked of the first member that answers."""
        for member in PATRONI_MEMBERS:
            for ct in self.tasks(member).values():
                code, out = containers.exec_text(ct, ["curl", "-fsS", "--max-time", "3", "http://127.0.0.1:8008/cluster"])
                if code == 0:
                    return {m["name"]: (m["role"], m["state"]) for m in json.loads(out)["members"]}
        return {}

    def vip_holder(self) -> str | None:
        """The node whose interface holds the VIP: a load balancer runs on its node's network, so
        its `ip addr` is the node's. The VIP is the one in the load balancer's own settings."""
        for lb in topology.LBS:
            for node, ct in self.tasks(lb).items():
                vip = next((e.split("=", 1)[1] for e in ct.attrs["Config"]["Env"] if e.startswith("VIP=")), None)
                code, out = containers.exec_text(ct, ["ip", "-4", "-o", "addr", "show"])
                if vip and code == 0 and roles.holds_vip(out, vip):
                    return node
        return None

    def redis_master(self) -> str | None:
        """The node whose address the first Sentinel that answers names as the master's: Redis
        runs on its node's network, at the node's address."""
        by_address = {n.address: name for name, n in self.nodes().items()}
        for sentinel in topology.SENTINELS:
            for ct in self.tasks(sentinel).values():
                code, out = containers.exec_text(ct, ["redis-cli", "-p", str(topology.SENTINEL_PORT), "--raw",
                                                      "SENTINEL", "get-master-addr-by-name", topology.SENTINEL_MASTER_NAME])
                address = out.split("\n", 1)[0].strip() if code == 0 else ""
                if address:
                    return by_address.get(address)
        return None

    def node_of(self, target: str) -> Node:
        """A node by name (node2) or by the role its member holds (pg-leader: the node whose
        Patroni member leads, as a fault says "the Patroni leader's node dies"; vip-holder,
        redis-master)."""
        if target.startswith("node"):
            return self.node(target)
        if target == "vip-holder":
            return self._holder(self.vip_holder(), "no load balancer holds the VIP now")
        if target == "redis-master":
            return self._holder(self.redis_master(), "no Sentinel names a Redis master on a node now")
        if target not in PATRONI_ROLES:
            raise SwarmError(f"unknown target '{target}'; a node (node1, node2, ...) or a role: {', '.join(ROLE_TARGETS)}")
        want = PATRONI_ROLES[target]
        holders = [m for m, (role, state) in self.patroni_roles().items() if role == want and state in ("running", "streaming")]
        if not holders:
            raise SwarmError(f"no Patroni member is {want} now ('make status ENGINE=swarm')")
        # pgN is pinned to nodeN (halab.swarm.stack); ask Swarm where it runs all the same.
        member = sorted(holders)[0]
        where = list(self.tasks(member))
        return self._holder(where[0] if where else None, f"{member} ({want}) runs on no node that answers")

    def _holder(self, node: str | None, otherwise: str) -> Node:
        if node is None:
            raise SwarmError(f"{otherwise} ('make status ENGINE=swarm')")
        return self.node(node)
