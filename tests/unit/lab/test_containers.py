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
