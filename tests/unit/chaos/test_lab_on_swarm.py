"""The controller's faults on a Swarm (topology.ON_SWARM), on fake node engines: a killed member is
held down at 0 replicas until the revert, heal lets every held-down member up, and commands run in
a member's namespace go to the engine of the node that runs it."""

from __future__ import annotations

import pytest

from halab.chaos.engine.faults.lifecycle import Kill, Stop
from halab.chaos.engine.handle import Lab
from halab.chaos.engine.heal import heal
from halab.lab import containers, topology


class FakeService:
    def __init__(self, replicas: int = 1) -> None:
        self.replicas, self.scaled = replicas, []

    @property
    def attrs(self) -> dict:
        return {"Spec": {"Mode": {"Replicated": {"Replicas": self.replicas}}}}

    def scale(self, replicas: int) -> None:
        self.replicas = replicas
        self.scaled.append(replicas)


class FakeManager:
    """A manager node's engine: only the stack's services are asked of it."""

    def __init__(self, services: dict[str, FakeService]) -> None:
        self.services = self
        self._by_name = {f"{containers.SWARM_STACK}_{name}": s for name, s in services.items()}

    def get(self, name: str) -> FakeService:
        return self._by_name[name]


class FakeHelpers:
    def __init__(self) -> None:
        self.runs: list[str] = []

    def run(self, image, command, **kwargs):
        self.runs.append(kwargs.get("network_mode", ""))
        return FakeHelper(command)

    def list(self, **kwargs):
        return []


class FakeHelper:
    def __init__(self, command) -> None:
        self.command = command

    def wait(self, timeout: int) -> dict:
        return {"StatusCode": 0}

    def logs(self) -> bytes:
        return b"done"

    def remove(self, force: bool) -> None:
        pass


class FakeEngine:
    def __init__(self) -> None:
        self.containers = FakeHelpers()


class FakeTask:
    def __init__(self, name: str, engine: FakeEngine) -> None:
        self.name, self.client, self.id, self.status, self.signals = name, engine, f"id-{name}", "running", []

    def kill(self, signal: str) -> None:
        self.signals.append(signal)
        self.status = "exited"

    def stop(self, timeout: int) -> None:
        self.signals.append("SIGTERM")
        self.status = "exited"

    def reload(self) -> None:
        pass

    @property
    def attrs(self) -> dict:
        return {"NetworkSettings": {"Networks": {"halab_lab": {}}}}


@pytest.fixture
def swarm(monkeypatch):
    node1, node2 = FakeEngine(), FakeEngine()
    tasks = {"redis1": FakeTask("redis1", node1), "pg2": FakeTask("pg2", node2), "lb1": FakeTask("lb1", node1)}
    services = {name: FakeService() for name in topology.ALL_SERVICES}
    monkeypatch.setattr(topology, "ON_SWARM", True)
    monkeypatch.setattr(containers, "the_lab", lambda: {n: t for n, t in tasks.items() if t.status == "running"})
    monkeypatch.setattr(containers, "node_engine", lambda address: FakeManager(services))
    monkeypatch.setattr(topology, "SWARM_NODES", ["10.78.0.11"])
    return Lab(client=FakeEngine()), tasks, services, (node1, node2)  # client: the control node's


@pytest.mark.parametrize("fault", [Kill, Stop])
def test_a_member_taken_down_stays_down_at_0_replicas_until_the_revert_scales_it_back(swarm, fault):
    lab, tasks, services, _ = swarm
    taken = fault(lab, "redis1")
    taken.inject()
    assert tasks["redis1"].signals and services["redis1"].scaled == [0]
    taken.revert()  # its container is gone from the running tasks: Swarm starts a new one
    assert services["redis1"].scaled == [0, 1]


def test_a_killed_load_balancer_is_not_held_down_swarm_restarts_it_at_once(swarm):
    # Held down, its node kept the VIP keepalived had put on its interface, and answered ARP for it.
    lab, tasks, services, _ = swarm
    killed = Kill(lab, "lb1")
    killed.inject()
    assert tasks["lb1"].signals == ["SIGKILL"] and services["lb1"].scaled == []
    killed.revert()  # Swarm started it already, as a new task; nothing to scale back
    assert services["lb1"].scaled == []
    stopped = Stop(lab, "lb1")  # a graceful stop lets keepalived take its VIP off: held down as any other
    tasks["lb1"].status = "running"
    stopped.inject()
    assert services["lb1"].scaled == [0]


def test_heal_lets_every_held_down_member_up_and_nothing_else(swarm, monkeypatch):
    lab, _, services, _ = swarm
    services["pg3"].replicas = services["kafka2"].replicas = 0
    monkeypatch.setattr(Lab, "network", lambda self, on=None: type("Overlay", (), {"name": "halab_lab"})())
    monkeypatch.setattr(Lab, "in_every_netns", lambda self, targets, script: {})
    monkeypatch.setattr(Lab, "engines", lambda self: [FakeEngine()])
    assert heal(lab) == ["scaled pg3 back to 1 (Swarm starts it on its node)", "scaled kafka2 back to 1 (Swarm starts it on its node)"]
    assert [name for name, s in services.items() if s.scaled] == ["pg3", "kafka2"]


def test_a_helper_runs_on_the_engine_of_the_node_that_runs_its_target(swarm):
    lab, _, _, (node1, node2) = swarm
    assert lab.in_netns("pg2", ["ip", "route"]) == (0, "done")
    assert node1.containers.runs == [] and node2.containers.runs == ["container:id-pg2"]


def test_on_one_engine_nothing_is_held_down(monkeypatch):
    monkeypatch.setattr(topology, "ON_SWARM", False)
    monkeypatch.setattr(containers, "node_engine", lambda address: pytest.fail("no Swarm to ask"))
    lab = Lab(client=None)
    lab.hold_down("redis1")
    assert lab.let_up("redis1") is None


def test_heal_on_a_swarm_does_not_plug_members_into_the_overlay(swarm, monkeypatch):
    # Redis, Sentinel and the load balancers run on their node's network, and a partition there is
    # a rule in the namespace: Docker refuses to connect a host-network task to the overlay.
    lab, tasks, _, _ = swarm
    from halab.chaos.engine.faults.network import _reconnect

    assert _reconnect(lab, "redis1", tasks["redis1"]) is None
