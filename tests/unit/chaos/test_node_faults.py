"""Node faults in a game day (`node-kill`, `node-pause`, `node-partition` on the node of a target),
against stand-ins for the Swarm: the fault finds the node that runs its target, says which in the
journal, reverts what it did, arms a deadline and is healed by `make heal`; on one engine, or
where no engine runs the nodes, the scenario is skipped with the reason."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from halab.chaos.engine.faults import FAULTS, FaultUnavailable
from halab.chaos.engine.faults.node import NODE_DOWN
from halab.chaos.engine.handle import Lab
from halab.chaos.engine.heal import heal
from halab.lab import containers, topology
from halab.swarm import nodes
from tests.unit.swarm.test_faults import FakeSwarm, NoWatchdogs

NODE_FAULT_NAMES = ("node-kill", "node-pause", "node-partition")


@pytest.fixture
def on_swarm(monkeypatch):
    swarm = FakeSwarm("node1", "node2", "node3")
    monkeypatch.setattr(topology, "ON_SWARM", True)
    monkeypatch.setenv(nodes.HOST_DOCKER_ENV, "unix:///var/run/halab-host-docker.sock")
    monkeypatch.setattr(nodes.Swarm, "connect", classmethod(lambda cls: swarm))
    # pg2's task runs on node2's engine.
    monkeypatch.setattr(containers, "the_lab", lambda: {"pg2": object()})
    monkeypatch.setattr(containers, "node_of", lambda ct: "node2")
    return swarm


@pytest.mark.parametrize("name", NODE_FAULT_NAMES)
def test_a_node_fault_hits_the_node_that_runs_its_target_and_its_revert_undoes_it(on_swarm, name):
    fault = FAULTS[name](Lab(client=None), "pg2")
    fault.check_available()
    assert fault.describe() == f"{name} on the node of pg2"
    fault.inject()
    assert fault.describe() == f"{name} node2 (the node of pg2)"
    assert nodes.Swarm.connect().node("node2").state != "running"
    fault.revert()
    fault.revert()  # idempotent
    assert {n.name: n.state for n in on_swarm.nodes().values()} == {"node1": "running", "node2": "running", "node3": "running"}


def test_a_node_fault_never_injected_reverts_nothing(on_swarm):
    FAULTS["node-kill"](Lab(client=None), "pg2").revert()
    assert on_swarm.node("node2").container.calls == []


@pytest.mark.parametrize("name", NODE_FAULT_NAMES)
def test_a_node_fault_leaves_a_node_down_so_the_runner_arms_a_deadline_and_heal_undoes_it(name):
    assert FAULTS[name].leftovers == (NODE_DOWN,)


def test_heal_powers_on_and_plugs_in_nodes_before_it_looks_at_what_runs_on_them(on_swarm, monkeypatch):
    on_swarm.node("node2").container.kill(signal="SIGKILL")
    on_swarm.lan().disconnect(on_swarm.node("node3").container, force=True)
    monkeypatch.setattr(Lab, "network", lambda self, on=None: None)
    monkeypatch.setattr(Lab, "engines", lambda self: [])
    monkeypatch.setattr(Lab, "services", lambda self: {})
    monkeypatch.setattr(Lab, "let_up", lambda self, name: None)
    controls = SimpleNamespace(containers=NoWatchdogs())  # the control node's engine
    actions = heal(Lab(client=controls))
    assert actions[0] == "started node2"
    assert actions[1].startswith("reconnected node3 to the LAN at 10.78.0.13"), actions
    assert heal(Lab(client=controls)) == []


def test_on_one_engine_a_node_fault_is_skipped_and_says_where_it_runs(monkeypatch):
    monkeypatch.setattr(topology, "ON_SWARM", False)
    with pytest.raises(FaultUnavailable, match="acts on a Swarm node; on one engine there are none"):
        FAULTS["node-pause"](Lab(client=None), "pg2").check_available()
    assert NODE_DOWN.undo() == []  # and heal finds no node to repair


def test_without_the_engine_that_runs_the_nodes_a_node_fault_is_skipped(monkeypatch):
    monkeypatch.setattr(topology, "ON_SWARM", True)
    monkeypatch.delenv(nodes.HOST_DOCKER_ENV, raising=False)
    with pytest.raises(FaultUnavailable, match="real machines, NODES_FILE's, have no such engine"):
        FAULTS["node-kill"](Lab(client=None), "pg2").check_available()
