"""Settings come from HALAB_* variables; a bad value names the variable and what is allowed."""

from __future__ import annotations

import pytest

from halab.app.config import ConfigError, Settings


def test_defaults_match_the_lab() -> None:
    settings = Settings.from_env({"HALAB_REPLICA_NAME": "app1"})

    assert settings == Settings(replica_name="app1")
    assert (settings.pg_host, settings.pg_write_port, settings.pg_read_port) == ("vip", 5432, 5433)
    assert settings.sentinels[0] == ("10.77.0.41", 26379)
    assert settings.kafka_bootstrap == ("kafka1:9092", "kafka2:9092", "kafka3:9092")
    assert settings.outbox_relay_enabled


def test_replica_name_defaults_to_the_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("socket.gethostname", lambda: "container-abc")

    assert Settings.from_env({}).replica_name == "container-abc"


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "HALAB_REPLICA_NAME": "app2",
            "HALAB_PG_WRITE_PORT": "6432",
            "HALAB_SENTINELS": "s1:26379, s2:26380",
            "HALAB_KAFKA_BOOTSTRAP": "k1:9092",
            "HALAB_OUTBOX_RELAY": "0",
        }
    )

    assert settings.pg_write_port == 6432
    assert settings.sentinels == (("s1", 26379), ("s2", 26380))
    assert settings.kafka_bootstrap == ("k1:9092",)
    assert not settings.outbox_relay_enabled


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "HALAB_PG_WRITE_PORT",
            "abc",
            "HALAB_PG_WRITE_PORT='abc' is invalid: expected a port 1..65535",
        ),
        (
            "HALAB_PG_READ_PORT",
            "70000",
            "HALAB_PG_READ_PORT='70000' is invalid: expected a port 1..65535",
        ),
        (
            "HALAB_SENTINELS",
            "10.77.0.41",
            "HALAB_SENTINELS='10.77.0.41' is invalid: expected comma-separated host:port pairs",
        ),
        (
            "HALAB_KAFKA_BOOTSTRAP",
            "kafka1:x",
            "HALAB_KAFKA_BOOTSTRAP='kafka1:x' is invalid: expected comma-separated host:port pairs",
        ),
        (
            "HALAB_OUTBOX_RELAY",
            "maybe",
            "HALAB_OUTBOX_RELAY='maybe' is invalid: expected 1 or 0 (or true/false)",
        ),
    ],
    ids=[
        "port not a number",
        "port out of range",
        "sentinel without port",
        "kafka bad port",
        "relay flag",
    ],
)
def test_invalid_values_name_the_variable_and_what_is_allowed(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"HALAB_REPLICA_NAME": "app1", name: value})

    assert str(error.value) == message


def test_a_dead_sentinel_asked_first_costs_a_short_connect_not_the_master_timeout():
    from halab.app.cache import sentinel_master

    settings = Settings(replica_name="app1")
    master = sentinel_master(settings)  # builds the pools; connects nothing yet
    asked = [s.connection_pool.connection_kwargs for s in master.connection_pool.sentinel_manager.sentinels]
    assert [kw["socket_connect_timeout"] for kw in asked] == [settings.sentinel_connect_timeout_s] * 3
    assert all(kw["socket_timeout"] == settings.redis_socket_timeout_s for kw in asked)  # a busy Sentinel's reply may take longer
    assert master.connection_pool.connection_kwargs["socket_connect_timeout"] == settings.redis_socket_timeout_s
    assert settings.sentinel_connect_timeout_s < settings.redis_socket_timeout_s


def test_a_master_without_replicas_is_left_as_a_demoted_one_is(monkeypatch):
    """NOREPLICAS from the master means the Sentinels have (very likely) replaced it: the
    connection is dropped and a ConnectionError raised, so the retry asks the Sentinels again.
    Any other error is the caller's, and the connection stays."""
    from types import SimpleNamespace

    from redis.connection import Connection
    from redis.exceptions import ConnectionError, ResponseError

    from halab.app.cache import MasterFollowingConnection, sentinel_master

    assert sentinel_master(Settings(replica_name="app1")).connection_pool.connection_class is MasterFollowingConnection
    answer: list[Exception] = []

    def read_response(self, *args, **kwargs):
        raise answer[0]

    monkeypatch.setattr(Connection, "read_response", read_response)
    dropped: list[bool] = []
    for is_master in (True, False):
        connection = MasterFollowingConnection(connection_pool=SimpleNamespace(is_master=is_master))
        monkeypatch.setattr(connection, "disconnect", lambda *a, **k: dropped.append(True))
        answer[:] = [ResponseError("NOREPLICAS Not enough good replicas to write.")]
        if is_master:
            with pytest.raises(ConnectionError, match="asking the Sentinels again .NOREPLICAS"):
                connection.read_response()
            assert dropped == [True]
        else:  # a replica's pool: not a master's answer to follow
            with pytest.raises(ResponseError, match="NOREPLICAS"):
                connection.read_response()
            assert dropped == [True]
        answer[:] = [ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")]
        with pytest.raises(ResponseError, match="WRONGTYPE") as raised:
            connection.read_response()
        assert not isinstance(raised.value, ConnectionError) and dropped == [True]
