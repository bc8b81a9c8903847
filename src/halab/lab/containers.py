"""The lab's containers as Docker sees them, through the Docker SDK."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import docker
from docker.models.containers import Container

from halab.lab import topology
from halab.lab.errors import FaultError, LabError

T = TypeVar("T")


class DockerUnavailable(LabError):
    """No Docker engine answers (or its socket is not mounted into the tools container)."""


@dataclass(frozen=True)
class ContainerState:
    service: str
    state: str  # created, running, paused, restarting, exited, dead, or "missing"
    health: str | None  # healthy, unhealthy, starting, or None without a health check


@functools.cache
def client() -> docker.DockerClient:
    """The process's one Docker client, made on first use and reused: `status.collect()` runs on
    every poll of a steady-state wait, and a client per poll is a new session and connection pool
    each time. A failed attempt is not cached. Tests reset it with `client.cache_clear()`."""
    try:
        c = docker.from_env(timeout=10)
        c.ping()
        return c
    except docker.errors.DockerException as e:
        raise DockerUnavailable(
            f"cannot reach the Docker engine ({e}). Run the tools through 'make' (which mounts "
            "/var/run/docker.sock into the tools container) or start Docker."
        ) from e


# On a Swarm (topology.ON_SWARM), bin/swarm's names: the stack, whose tasks carry their service
# as com.docker.swarm.service.name=<stack>_<service>, and the port every node's engine listens on.
SWARM_STACK = "halab"
NODE_ENGINE_PORT = 2375
# A node that is frozen or cut off does not answer; its members are then missing, not waited for.
NODE_ENGINE_TIMEOUT_S = 3


@functools.cache
def node_engine(address: str) -> docker.DockerClient:
    """A Swarm node's own engine, by its LAN address; one client per node for the process."""
    return docker.DockerClient(base_url=f"tcp://{address}:{NODE_ENGINE_PORT}", timeout=NODE_ENGINE_TIMEOUT_S)


def swarm_tasks() -> dict[str, Container]:
    """Service name -> the container of its running task, on whichever node Swarm runs it, every
    node asked at once. A task that ended is not listed: Swarm starts a new one, as a new container."""
    def on(address: str) -> list[Container]:
        try:
            return node_engine(address).containers.list(filters={"label": f"com.docker.stack.namespace={SWARM_STACK}"},
                                                        ignore_removed=True)
        except (docker.errors.DockerException, OSError):
            return []

    with ThreadPoolExecutor(len(topology.SWARM_NODES)) as pool:
        found = [ct for cts in pool.map(on, topology.SWARM_NODES) for ct in cts]
    prefix = f"{SWARM_STACK}_"
    return {ct.labels["com.docker.swarm.service.name"].removeprefix(prefix): ct for ct in found
            if ct.labels.get("com.docker.swarm.service.name", "").startswith(prefix)}


# Only managers know the stack's services, and only while they have a Raft leader. When the node
# that held it is frozen or cut off, the others elect a new one after swarmkit's election timeout
# (10 ticks of 1 s), and a node thawed just before still answers slowly: in CI, `make heal`'s first
# question after thawing a node found no manager that answered within NODE_ENGINE_TIMEOUT_S.
MANAGER_PATIENCE_S = 30


def on_a_manager(action: Callable[[docker.DockerClient], T], what: str) -> T:
    """`action` on the first node's engine that carries it out as a manager, each node asked in
    turn until one does or MANAGER_PATIENCE_S have passed; a NotFound is an answer, raised at once."""
    deadline = time.monotonic() + MANAGER_PATIENCE_S
    while True:
        failures: dict[str, str] = {}
        for address in topology.SWARM_NODES:
            try:
                return action(node_engine(address))
            except docker.errors.NotFound:
                raise
            except (docker.errors.DockerException, OSError) as e:
                failures[address] = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        if time.monotonic() >= deadline:
            tried = "; ".join(f"{a}: {why}" for a, why in failures.items())
            raise DockerUnavailable(f"no Swarm manager answered for {MANAGER_PATIENCE_S} s to {what} ({tried})",
                                    hint="'make status ENGINE=swarm' shows the nodes; 'make heal ENGINE=swarm' "
                                         "thaws, powers on and plugs back in the nodes a fault left down")
        time.sleep(1)  # the managers electing a leader: ask again


def swarm_service(service: str):
    """A service of the stack, as a manager knows it (see on_a_manager)."""
    return on_a_manager(lambda engine: _stack_service(engine, service), f"look up {service}")


def scale_swarm_service(service: str, replicas: int) -> None:
    """Scales a service of the stack, asked afresh on each attempt: an update must carry the spec's
    current version, which a failed attempt on another manager may have moved on."""
    on_a_manager(lambda engine: _stack_service(engine, service).scale(replicas), f"scale {service} to {replicas}")


def _stack_service(engine: docker.DockerClient, service: str):
    return engine.services.get(f"{SWARM_STACK}_{service}")


def lab_containers(c: docker.DockerClient) -> dict[str, Container]:
    """Service name -> container, for the lab's compose project (one replica per service)."""
    # ignore_removed: a one-off container (make chaos's tools, a deadline) may go between the list and
    # its inspect; without it docker-py raises NotFound (the dashboard's halt answered 500 on that in CI).
    found = c.containers.list(all=True, filters={"label": f"com.docker.compose.project={topology.PROJECT}"},
                              ignore_removed=True)
    return {ct.labels.get("com.docker.compose.service", ct.name): ct for ct in found}


def node_of(container: Container) -> str | None:
    """On a Swarm, the node whose engine runs the container (node1 for the first of
    topology.SWARM_NODES); None on one engine."""
    host = container.client.api.base_url.split("://", 1)[-1].split(":", 1)[0]
    return f"node{topology.SWARM_NODES.index(host) + 1}" if host in topology.SWARM_NODES else None


def the_lab() -> dict[str, Container]:
    """The lab's containers by service: on this engine, or on the Swarm's nodes (topology.ON_SWARM)."""
    return swarm_tasks() if topology.ON_SWARM else lab_containers(client())


def state_of(service: str, container: Container | None) -> ContainerState:
    if container is None:
        return ContainerState(service, "missing", None)
    st = container.attrs.get("State", {})
    health = (st.get("Health") or {}).get("Status")
    return ContainerState(service, st.get("Status", "unknown"), health)


# Docker's exec now and then loses a command's whole output: exit code 0, nothing printed
# (moby/moby#27289, docker/docker-py#2042). Measured here: 1 of 400 `redis-cli INFO` execs at load
# average 9, read as "Redis down" by a test. Every command asked through `exec_text` prints when it
# succeeds, so an empty success is asked again.
LOST_OUTPUT_ATTEMPTS = 3


def exec_text(container: Container, cmd: list[str]) -> tuple[int, str]:
    """Run a read-only command that prints when it succeeds (`ip addr`, `cat`, `redis-cli INFO`,
    `curl`) in a container; its exit code and combined output. A success whose output was lost
    is run again, up to LOST_OUTPUT_ATTEMPTS in all."""
    for _ in range(LOST_OUTPUT_ATTEMPTS):
        result = container.exec_run(cmd, demux=False)
        if result.exit_code != 0 or result.output:
            break
    return result.exit_code, (result.output or b"").decode(errors="replace")


# What a container's faults (halab.chaos.engine.faults) and a node's (halab.swarm.faults) share: bring it back, freeze it.
# Each returns the line saying what it did, or None when there was nothing to do.

def start_if_down(ct: Container, name: str) -> str | None:
    ct.reload()
    if ct.status not in ("exited", "created", "dead"):
        return None
    ct.start()
    return f"started {name}"


def unpause_if_paused(ct: Container, name: str) -> str | None:
    ct.reload()
    if ct.status != "paused":
        return None
    ct.unpause()
    return f"unpaused {name}"


# The cgroup v1 freezer gives up ("unable to freeze") when a process sits in an uninterruptible
# fsync at that moment, as a busy Postgres often does: try again shortly.
PAUSE_ATTEMPTS = 10


def pause_retrying(ct: Container, name: str, attempts: int = PAUSE_ATTEMPTS) -> None:
    for attempt in range(1, attempts + 1):
        try:
            ct.pause()
            return
        except docker.errors.APIError as e:
            if attempt == attempts:
                raise FaultError(f"could not pause {name} after {attempt} attempts: {e.explanation}") from e
            time.sleep(0.1)
