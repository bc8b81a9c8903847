"""The Docker client: made once per process and reused by every poll."""

from __future__ import annotations

import docker
import pytest

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
