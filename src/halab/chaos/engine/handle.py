"""The chaos controller's handle on the lab: Docker containers by service, and the lab network."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import docker
from docker.models.containers import Container
from docker.models.networks import Network

from halab.lab import containers, topology
from halab.lab.errors import FaultError

NETWORK = topology.NETWORK
# Image for short-lived helper containers that join a target's network namespace (tc, ip route):
# the lab's own base image, so nothing is pulled.
HELPER_IMAGE = "halab/base"

# The interface that carries the lab address: eth0 at start, but Docker may name it eth1 after
# the container was disconnected and reconnected (a healed partition).
LAB_DEV = "$(ip -o -4 addr show | awk '$4 ~ /^%s\\./ {print $2; exit}')" % topology.NET.replace(".", "\\.")


def lab_dev_sh(command: str) -> list[str]:
    """A shell command with $DEV set to the lab interface."""
    return ["sh", "-c", f"DEV={LAB_DEV}; {command}"]


@dataclass
class Lab:
    """The lab on one engine, or on a Swarm (topology.ON_SWARM): each container is acted on through
    the engine that runs it (`Container.client`), a node's own on a Swarm; `client` is the engine
    the controller runs on, for its watchdogs."""

    client: docker.DockerClient

    @classmethod
    def connect(cls) -> "Lab":
        return cls(containers.client())

    def container(self, service: str) -> Container:
        found = containers.the_lab().get(service)
        if found is None:
            raise FaultError(f"no container for service '{service}' in the lab; is it up? (make up)")
        return found

    def services(self) -> dict[str, Container]:
        """The lab's long-running services (not the tools or one-shot containers)."""
        return {n: c for n, c in containers.the_lab().items() if n in topology.ALL_SERVICES}

    def engines(self) -> list[docker.DockerClient]:
        """Every engine that runs lab containers (and so helpers): this one, or each node's."""
        return [containers.node_engine(a) for a in topology.SWARM_NODES] if topology.ON_SWARM else [self.client]

    def network(self, on: Container | None = None) -> Network:
        """The lab network, as the engine that runs `on` (default: the controller's) knows it. On
        a Swarm the stack's overlay has the single-engine network's name."""
        return (on.client if on is not None else self.client).networks.get(NETWORK)

    # On a Swarm, a task that ends is started again by Swarm within about a second, as a new
    # container: a member taken down stays down only while its service is scaled to 0.
    def hold_down(self, service: str) -> None:
        """Keeps a service that was just killed or stopped down until `let_up` (a Swarm only)."""
        if topology.ON_SWARM:
            containers.scale_swarm_service(service, 0)

    def let_up(self, service: str) -> str | None:
        """Swarm: scales a held-down service back to 1 and says so; None when it was not held down
        (and always on one engine, where the revert starts its container)."""
        if not topology.ON_SWARM:
            return None
        found = containers.swarm_service(service)
        if found.attrs["Spec"].get("Mode", {}).get("Replicated", {}).get("Replicas", 1) != 0:
            return None
        containers.scale_swarm_service(service, 1)
        return f"scaled {service} back to 1 (Swarm starts it on its node)"

    def in_netns(self, service: str, command: list[str]) -> tuple[int, str]:
        """Runs a command in a helper container that shares the service's network namespace, with
        NET_ADMIN there only, so the lab's own containers need no extra privileges."""
        target = self.container(service)
        helper = target.client.containers.run(
            HELPER_IMAGE,
            command,
            network_mode=f"container:{target.id}",
            cap_add=["NET_ADMIN"],
            detach=True,
            labels={"halab.helper": "netns"},
        )
        try:
            code = helper.wait(timeout=30).get("StatusCode", 1)
            output = helper.logs().decode(errors="replace").strip()
        finally:
            helper.remove(force=True)
        return code, output

    def in_every_netns(self, targets: dict[str, Container], script: str) -> dict[str, tuple[int, str]]:
        """Runs `script` (with $DEV set) in the network namespace of every running container of
        `targets`, from ONE helper container that enters each namespace in turn with nsenter.
        Why not `in_netns` per service: creating and removing a container costs seconds on a loaded
        2-core machine, and `make heal` (the dashboard's HALT) must look into all 20 services."""
        by_engine: dict[int, tuple[docker.DockerClient, dict[str, int]]] = {}
        for name, ct in targets.items():
            ct.reload()
            if ct.status == "running" and ct.attrs["State"].get("Pid"):
                by_engine.setdefault(id(ct.client), (ct.client, {}))[1][name] = ct.attrs["State"]["Pid"]
        found: dict[str, tuple[int, str]] = {}
        for engine, pids in by_engine.values():  # on a Swarm, one helper per node
            found.update(self._in_every_netns_on(engine, pids, script))
        return found

    def _in_every_netns_on(self, engine: docker.DockerClient, pids: dict[str, int], script: str) -> dict[str, tuple[int, str]]:
        inner = shlex.quote(lab_dev_sh(script)[-1])
        program = " ".join(f"echo {_BEGIN}{name}; nsenter -t {pid} -n sh -c {inner}; echo {_END}{name} $?;"
                           for name, pid in pids.items())
        helper = engine.containers.run(
            HELPER_IMAGE, ["sh", "-c", program],
            pid_mode="host", network_mode="none",  # sees every PID; joins each namespace itself
            cap_add=["NET_ADMIN", "SYS_ADMIN"],  # SYS_ADMIN for setns(2), NET_ADMIN for tc and ip
            detach=True, labels={"halab.helper": "netns"},
        )
        try:
            helper.wait(timeout=60)
            output = helper.logs().decode(errors="replace")
        finally:
            helper.remove(force=True)
        return _split_by_service(output)


_BEGIN, _END = "@@halab-netns-begin:", "@@halab-netns-end:"


def _split_by_service(output: str) -> dict[str, tuple[int, str]]:
    """`in_every_netns`'s output, cut at its markers into each service's exit code and output.
    A service without an end marker (the helper died) gets code -1."""
    results: dict[str, tuple[int, str]] = {}
    name, lines = None, []
    for line in output.splitlines():
        if line.startswith(_BEGIN):
            name, lines = line[len(_BEGIN):].strip(), []
            results[name] = (-1, "")
        elif line.startswith(_END) and name is not None:
            code = line[len(_END):].split()[-1]
            results[name] = (int(code) if code.lstrip("-").isdigit() else -1, "\n".join(lines).strip())
            name = None
        elif name is not None:
            lines.append(line)
            results[name] = (-1, "\n".join(lines).strip())
    return results
