"""The Redis probe is a client as the app is: it follows the master the Sentinels name."""

from __future__ import annotations


def test_the_redis_probe_follows_the_master_as_the_app_does():
    from halab.app.cache import MasterFollowingConnection
    from halab.chaos.engine.probes.redis import RedisProbe

    probe = RedisProbe(clock=None, rate=1.0, run_id="t")  # type: ignore[arg-type]  # setup() connects nothing
    probe.setup()
    assert probe.master.connection_pool.connection_class is MasterFollowingConnection
