"""The chaos controller's handle on the lab: Docker containers by service, and the lab network."""

from __future__ import annotations

from dataclasses import dataclass

import docker
from docker.models.containers import Container
from docker.models.networks import Network

from halab.lab import containers, topology

NETWORK = "halab_lab"
# Image for short-lived helper containers that join a target's network namespace (tc, ip route):
# the lab's own base image, so nothing is pulled.
HELPER_IMAGE = "halab/base"

# The interface that carries the lab address: eth0 at start, but Docker may name it eth1 after
# the container was disconnected and reconnected (a healed partition).
LAB_DEV = "$(ip -o -4 addr show | awk '$4 ~ /^10\\.77\\.0\\./ {print $2; exit}')"


def lab_dev_sh(command: str) -> list[str]:
    """A shell command with $DEV set to the lab interface."""
    return ["sh", "-c", f"DEV={LAB_DEV}; {command}"]


@dataclass
class Lab:
    client: docker.DockerClient

    @classmethod
    def connect(cls) -> "Lab":
        return cls(containers.client())

    def container(self, service: str) -> Container:
        found = containers.lab_containers(self.client).get(service)
        if found is None:
            from halab.chaos.errors import FaultError

            raise FaultError(f"no container for service '{service}' in the lab; is it up? (make up)")
        return found

    def services(self) -> dict[str, Container]:
        """The lab's long-running services (not the tools or one-shot containers)."""
        return {n: c for n, c in containers.lab_containers(self.client).items() if n in topology.ALL_SERVICES}

    def network(self) -> Network:
        return self.client.networks.get(NETWORK)

    def in_netns(self, service: str, command: list[str]) -> tuple[int, str]:
        """Runs a command in a helper container that shares the service's network namespace, with
        NET_ADMIN there only, so the lab's own containers need no extra privileges."""
        target = self.container(service)
        helper = self.client.containers.run(
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
