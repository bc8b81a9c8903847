"""Node faults and their heal, against stand-ins for the node containers (the real ones are
driven by tests/integration/test_swarm.py): what each fault leaves behind, that its revert and
`heal` undo it in the order a node needs, and what a bad target is told."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from docker.models.containers import ExecResult

from halab.swarm import faults
from halab.swarm.nodes import LAN, Node, Swarm, SwarmError


class FakeNodeContainer:
    def __init__(self, name: str) -> None:
        self.name, self.status, self.networks = name, "running", {LAN: {}}
        self.calls: list[str] = []
        # The load balancers pinned to it (lbN on nodeN), and what its engine says when asked.
        self.load_balancers = {"halab-node1": "lb1", "halab-node2": "lb2"}.get(name, "")
        self.engine_answer: ExecResult | None = None

    @property
    def attrs(self) -> dict:
        return {"NetworkSettings": {"Networks": dict(self.networks)}}

    def reload(self) -> None: ...

    def kill(self, signal: str) -> None:
        self.calls.append(f"kill {signal}")
        self.status = "exited"

    def start(self) -> None:
        self.calls.append("start")
        self.status = "running"

    def pause(self) -> None:
        self.status = "paused"

    def unpause(self) -> None:
        self.calls.append("unpause")
        self.status = "running"

    def exec_run(self, cmd: list[str], demux: bool = False) -> ExecResult:
        assert self.status == "running", "asked a node that is not running"
        self.calls.append("restart the load balancers")
        return self.engine_answer or ExecResult(0, f"killed:\n{self.load_balancers}\n".encode())


class FakeLan:
    def __init__(self) -> None:
        self.connected: list[tuple[str, str]] = []

    def disconnect(self, container: FakeNodeContainer, force: bool) -> None:
        container.networks.pop(LAN)

    def connect(self, container: FakeNodeContainer, ipv4_address: str) -> None:
        # Docker attaches a stopped container too, but a frozen one cannot take a new interface.
        assert container.status != "paused", "plugged in while frozen"
        container.networks[LAN] = {}
        self.connected.append((container.name, ipv4_address))


class FakeTask:
    """A stack member's container on a node: its settings and what a command in it prints."""

    def __init__(self, prints: str = "", env: tuple[str, ...] = ()) -> None:
        self.prints, self.attrs = prints, {"Config": {"Env": list(env)}}

    def exec_run(self, cmd: list[str], demux: bool = False) -> ExecResult:
        return ExecResult(0, self.prints.encode())


class NoWatchdogs:
    """This machine's engine, asked by heal for the watchdogs of dead controllers: none armed."""

    def list(self, **filters) -> list:
        return []


class FakeSwarm(Swarm):
    def __init__(self, *names: str, roles: dict[str, tuple[str, str]] | None = None,
                 tasks: dict[str, dict[str, FakeTask]] | None = None) -> None:
        super().__init__(client=SimpleNamespace(containers=NoWatchdogs()))
        self._nodes = {n: Node(n, FakeNodeContainer(f"halab-{n}"), f"10.78.0.{10 + int(n[-1])}") for n in names}
        self._lan = FakeLan()
        self._roles = roles or {}
        self._tasks = tasks

    def nodes(self) -> dict[str, Node]:
        return self._nodes

    def lan(self) -> FakeLan:  # type: ignore[override]
        return self._lan

    def patroni_roles(self) -> dict[str, tuple[str, str]]:
        return self._roles

    def tasks(self, service: str) -> dict:
        if self._tasks is not None:
            return self._tasks.get(service, {})
        return {f"node{service[-1]}": object()}


@pytest.mark.parametrize("kind", list(faults.NODE_FAULTS))
def test_each_node_fault_is_undone_by_its_revert_and_the_revert_is_idempotent(kind):
    swarm = FakeSwarm("node1", "node2")
    node = swarm.node("node2")
    fault = faults.NODE_FAULTS[kind](swarm, node)
    fault.inject()
    assert node.state != "running"
    fault.revert()
    fault.revert()
    assert node.state == "running"
    assert swarm.node("node1").container.calls == []


def test_a_partitioned_node_is_plugged_back_in_at_its_own_address():
    swarm = FakeSwarm("node1", "node2", "node3")
    node = swarm.node("node3")
    faults.NodePartition(swarm, node).inject()
    assert node.state == "partitioned"
    assert faults.heal(swarm) == ["reconnected node3 to the LAN at 10.78.0.13"]
    assert swarm.lan().connected == [("halab-node3", "10.78.0.13")]


def test_a_load_balancers_node_plugged_back_in_restarts_it_to_find_its_new_interface():
    swarm = FakeSwarm("node1", "node2", "node3")
    fault = faults.NodePartition(swarm, swarm.node("node2"))
    fault.inject()
    fault.revert()
    assert swarm.node("node2").container.calls == ["restart the load balancers"]
    assert swarm.lan().connected == [("halab-node2", "10.78.0.12")]


def test_a_node_whose_load_balancers_cannot_be_restarted_says_so():
    swarm = FakeSwarm("node1", "node2", "node3")
    node = swarm.node("node1")
    node.container.engine_answer = ExecResult(1, b"killed:\nError response from daemon: cannot kill container")
    faults.NodePartition(swarm, node).inject()
    with pytest.raises(SwarmError, match="node1 is back on the LAN, but its load balancers could not be restarted.*cannot kill"):
        faults.heal(swarm)


def test_heal_thaws_and_starts_nodes_before_plugging_them_in_and_then_finds_nothing():
    swarm = FakeSwarm("node1", "node2", "node3")
    faults.NodePause(swarm, swarm.node("node1")).inject()
    faults.NodePartition(swarm, swarm.node("node1")).inject()
    faults.NodeKill(swarm, swarm.node("node2")).inject()
    assert faults.heal(swarm) == ["unpaused node1", "reconnected node1 to the LAN at 10.78.0.11; restarted lb1 on its new interface",
                                  "started node2"]
    assert all(n.state == "running" for n in swarm.nodes().values())
    assert faults.heal(swarm) == []


def test_a_role_target_names_the_node_its_member_runs_on():
    roles = {"pg1": ("replica", "streaming"), "pg2": ("leader", "running"), "pg3": ("sync_standby", "streaming")}
    swarm = FakeSwarm("node1", "node2", "node3", roles=roles)
    assert swarm.node_of("pg-leader").name == "node2"
    assert swarm.node_of("pg-sync-standby").name == "node3"
    assert swarm.node_of("node1").name == "node1"


VIP_ENV = ("LB_NAME=lb", "VIP=10.78.0.10")


def test_the_vip_holder_is_the_node_whose_load_balancer_has_the_vip_on_its_interface():
    swarm = FakeSwarm("node1", "node2", "node3", tasks={
        "lb1": {"node1": FakeTask("2: eth0    inet 10.78.0.11/24 brd 10.78.0.255 scope global eth0", VIP_ENV)},
        "lb2": {"node2": FakeTask("2: eth0    inet 10.78.0.12/24 scope global eth0\n2: eth0    inet 10.78.0.10/32 scope global eth0", VIP_ENV)},
    })
    assert swarm.node_of("vip-holder").name == "node2"


def test_the_redis_master_is_the_node_at_the_address_the_sentinels_name():
    swarm = FakeSwarm("node1", "node2", "node3", tasks={"sentinel2": {"node2": FakeTask("10.78.0.13\n6379\n")}})
    assert swarm.node_of("redis-master").name == "node3"


@pytest.mark.parametrize("target, says", [
    ("node7", "no node 'node7'; the Swarm has node1, node2"),
    ("etcd-leader", "unknown target 'etcd-leader'; a node (node1, node2, ...) or a role: pg-leader, pg-sync-standby, pg-replica, "
                    "vip-holder, redis-master"),
    ("pg-leader", "no Patroni member is leader now"),
    ("vip-holder", "no load balancer holds the VIP now ('make status ENGINE=swarm')"),
    ("redis-master", "no Sentinel names a Redis master on a node now"),
])
def test_a_target_that_names_no_node_says_what_is_allowed(target, says):
    swarm = FakeSwarm("node1", "node2", roles={"pg1": ("replica", "streaming")},
                      tasks={"lb1": {"node1": FakeTask("2: eth0    inet 10.78.0.11/24", VIP_ENV)}})
    with pytest.raises(SwarmError, match=says.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        swarm.node_of(target)


def test_a_fault_that_cannot_be_injected_is_reverted_and_the_command_exits_1(monkeypatch):
    from click.testing import CliRunner

    from halab.chaos.errors import FaultError
    from halab.lab import deadline
    from halab.swarm import cli

    swarm = FakeSwarm("node1", "node2")
    monkeypatch.setattr(cli, "_connect", lambda: swarm)
    disarmed = []
    monkeypatch.setattr(deadline, "arm", lambda *a, **k: SimpleNamespace(disarm=lambda: disarmed.append(True)))

    def refuse(container, name):
        raise FaultError(f"could not pause {name} after 10 attempts: unable to freeze")
    monkeypatch.setattr(faults, "pause_retrying", refuse)
    result = CliRunner().invoke(cli.swarm, ["fault", "node-pause", "node2", "--for", "1"])
    assert result.exit_code == 1, result.output
    assert "could not inject node-pause node2" in result.output and "reverted node-pause node2" in result.output
    assert disarmed == [True] and swarm.node("node2").state == "running"
    assert "Traceback" not in result.output
