"""The Docker client: made once per process and reused by every poll; a command run in a container."""

from __future__ import annotations

import docker
import pytest
from docker.models.containers import ExecResult

from halab.lab import containers


class FakeClient:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails

    def ping(self) -> bool:
        if self.fails:
            raise docker.errors.DockerException("no socket")
        return True


@pytest.fixture(autouse=True)
def fresh_client():
    containers.client.cache_clear()
    yield
    containers.client.cache_clear()


def test_the_client_is_made_once_and_reused(monkeypatch):
    made: list[FakeClient] = []
    monkeypatch.setattr(docker, "from_env", lambda timeout: made.append(FakeClient()) or made[-1])
    assert containers.client() is containers.client() is made[0]
    assert len(made) == 1


def test_an_unreachable_engine_is_not_remembered(monkeypatch):
    clients = [FakeClient(fails=True), FakeClient()]
    monkeypatch.setattr(docker, "from_env", lambda timeout: clients.pop(0))
    with pytest.raises(containers.DockerUnavailable, match="cannot reach the Docker engine"):
        containers.client()
    assert containers.client().fails is False  # the engine came back: the next call connects


class ContainerAnswering:
    """A container whose execs give these results in turn: Docker's exec can lose a whole output."""

    def __init__(self, *results: tuple[int, bytes]) -> None:
        self.results, self.asked = list(results), 0

    def exec_run(self, cmd: list[str], demux: bool = False) -> ExecResult:
        self.asked += 1
        return ExecResult(*self.results.pop(0))


def test_a_success_whose_output_was_lost_is_asked_again():
    ct = ContainerAnswering((0, b""), (0, b"role:slave\n"))
    assert containers.exec_text(ct, ["redis-cli", "INFO", "replication"]) == (0, "role:slave\n")
    assert ct.asked == 2


def test_a_failure_is_not_asked_again():
    ct = ContainerAnswering((1, b""), (0, b"role:slave\n"))
    assert containers.exec_text(ct, ["redis-cli", "INFO", "replication"]) == (1, "")
    assert ct.asked == 1


def test_output_lost_every_time_is_given_up_after_a_few_attempts():
    ct = ContainerAnswering(*[(0, b"")] * 5)
    assert containers.exec_text(ct, ["ip", "addr"]) == (0, "")
    assert ct.asked == containers.LOST_OUTPUT_ATTEMPTS


class FakeTask:
    def __init__(self, service: str, engine: "FakeNodeEngine") -> None:
        self.labels = {"com.docker.stack.namespace": "halab", "com.docker.swarm.service.name": f"halab_{service}"}
        self.client = engine


class FakeNodeEngine:
    """A node's engine: its address, the services it runs tasks of, or no answer at all."""

    def __init__(self, address: str, services: tuple[str, ...] = (), answers: bool = True) -> None:
        self.api = type("Api", (), {"base_url": f"http://{address}:2375"})()
        self.tasks, self.answers = [FakeTask(s, self) for s in services], answers
        self.containers = self

    def list(self, filters: dict, ignore_removed: bool) -> list[FakeTask]:
        assert filters == {"label": "com.docker.stack.namespace=halab"}
        if not self.answers:
            raise docker.errors.APIError("read timed out")  # a frozen node
        return self.tasks


def test_on_a_swarm_the_lab_is_every_answering_nodes_tasks_each_with_its_node(monkeypatch):
    from halab.lab import topology

    engines = {"10.78.0.11": FakeNodeEngine("10.78.0.11", ("pg1", "app2")),
               "10.78.0.12": FakeNodeEngine("10.78.0.12", ("pg2",)),
               "10.78.0.13": FakeNodeEngine("10.78.0.13", ("pg3",), answers=False)}
    monkeypatch.setattr(topology, "SWARM_NODES", tuple(engines))
    monkeypatch.setattr(topology, "ON_SWARM", True)
    monkeypatch.setattr(containers, "node_engine", engines.__getitem__)
    lab = containers.the_lab()
    assert sorted(lab) == ["app2", "pg1", "pg2"]  # pg3's node does not answer: pg3 is missing
    assert {service: containers.node_of(ct) for service, ct in lab.items()} == {"pg1": "node1", "app2": "node1", "pg2": "node2"}


class FakeManagers:
    """Manager engines that fail as they do while Swarm elects a Raft leader, a number of times
    each, then answer."""

    def __init__(self, failures_before_answer: dict[str, int]) -> None:
        self.left = dict(failures_before_answer)
        self.asked: list[str] = []

    def engine(self, address: str):
        return address

    def action(self, address: str) -> str:
        self.asked.append(address)
        if self.left[address] != 0:
            self.left[address] -= 1
            raise docker.errors.APIError("rpc error: code = Unknown desc = The swarm does not have a leader")
        return f"answered by {address}"


@pytest.fixture
def managers(monkeypatch):
    from halab.lab import topology

    def make(failures: dict[str, int]) -> FakeManagers:
        fake = FakeManagers(failures)
        monkeypatch.setattr(topology, "SWARM_NODES", tuple(failures))
        monkeypatch.setattr(containers, "node_engine", fake.engine)
        monkeypatch.setattr(containers.time, "sleep", lambda s: None)
        return fake
    return make


def test_a_manager_that_fails_is_passed_over_for_the_next_one(managers):
    fake = managers({"10.78.0.11": -1, "10.78.0.12": 0, "10.78.0.13": 0})  # node1 never answers
    assert containers.on_a_manager(fake.action, "look up pg1") == "answered by 10.78.0.12"
    assert fake.asked == ["10.78.0.11", "10.78.0.12"]


def test_while_no_manager_answers_they_are_asked_again_until_one_does(managers):
    # The Raft leader's node was frozen: for a few rounds every manager says there is no leader.
    fake = managers({"10.78.0.11": 3, "10.78.0.12": 3, "10.78.0.13": -1})
    assert containers.on_a_manager(fake.action, "scale pg1 to 1") == "answered by 10.78.0.11"
    assert fake.asked.count("10.78.0.11") == 4


def test_when_no_manager_answers_in_time_the_error_names_each_and_what_to_do(managers, monkeypatch):
    fake = managers({"10.78.0.11": -1, "10.78.0.12": -1})
    monkeypatch.setattr(containers, "MANAGER_PATIENCE_S", 0)
    with pytest.raises(containers.DockerUnavailable) as raised:
        containers.on_a_manager(fake.action, "scale pg1 to 1")
    message = str(raised.value)
    assert message.startswith("no Swarm manager answered for 0 s to scale pg1 to 1 (10.78.0.11: ")
    assert "10.78.0.12: " in message and "does not have a leader" in message
    assert "make heal ENGINE=swarm" in message


def test_a_service_the_stack_does_not_have_is_an_answer_not_a_reason_to_ask_again(managers):
    fake = managers({"10.78.0.11": 0, "10.78.0.12": 0})

    def missing(address: str):
        fake.asked.append(address)
        raise docker.errors.NotFound("service halab_pg9 not found")

    with pytest.raises(docker.errors.NotFound):
        containers.on_a_manager(missing, "look up pg9")
    assert fake.asked == ["10.78.0.11"]
