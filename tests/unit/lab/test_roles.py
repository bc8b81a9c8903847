from halab.lab import roles

PATRONI_CLUSTER = {
    "members": [
        {"name": "pg1", "role": "sync_standby", "state": "running", "lag": 0},
        {"name": "pg2", "role": "replica", "state": "streaming", "lag": "unknown"},
        {"name": "pg3", "role": "leader", "state": "running", "timeline": 2},
    ]
}


def test_patroni_leader_and_sync_standby():
    view = roles.parse_patroni_cluster(PATRONI_CLUSTER)
    assert view.leader == "pg3"
    assert view.sync_standby == "pg1"
    assert view.member("pg2").lag_bytes is None


def test_a_stopped_leader_is_not_the_leader():
    doc = {"members": [{"name": "pg1", "role": "leader", "state": "stopped"}]}
    assert roles.parse_patroni_cluster(doc).leader is None


def test_no_sync_standby_during_the_window_after_failover():
    doc = {"members": [{"name": "pg1", "role": "leader", "state": "running"}, {"name": "pg2", "role": "replica", "state": "running", "lag": 0}]}
    assert roles.parse_patroni_cluster(doc).sync_standby is None


def test_vip_detection_matches_whole_address_only():
    assert roles.holds_vip("2: eth0    inet 10.77.0.10/24 scope global eth0", "10.77.0.10")
    assert not roles.holds_vip("2: eth0    inet 10.77.0.100/24 scope global eth0", "10.77.0.10")
    assert not roles.holds_vip("2: eth0    inet 10.77.0.11/24 brd 10.77.0.255", "10.77.0.10")


def _view(answers, masters=("redis1",)):
    nodes = tuple(roles.RedisNode(n, "master" if n in masters else "replica", "redis1", True) for n in ("redis1", "redis2", "redis3"))
    return roles.RedisView(nodes, answers)


def test_sentinels_agree_on_the_master():
    view = _view({"sentinel1": "redis1", "sentinel2": "redis1", "sentinel3": None})
    assert view.agreed_master == "redis1"
    assert view.master == "redis1"


def test_sentinels_disagreeing_means_no_master():
    view = _view({"sentinel1": "redis1", "sentinel2": "redis2", "sentinel3": "redis1"})
    assert view.agreed_master is None
    assert view.master is None


def test_one_sentinel_alone_is_not_a_quorum():
    assert _view({"sentinel1": "redis1", "sentinel2": None, "sentinel3": None}).agreed_master is None


def test_agreed_master_that_is_really_a_replica_is_not_the_master():
    view = _view({"sentinel1": "redis2", "sentinel2": "redis2", "sentinel3": "redis2"}, masters=("redis1",))
    assert view.agreed_master == "redis2"
    assert view.master is None


def test_replication_info_maps_ips_to_service_names():
    node = roles.parse_replication_info("redis2", {"role": "slave", "master_host": "10.77.0.61", "master_link_status": "up"})
    assert node == roles.RedisNode("redis2", "replica", "redis1", True)


def test_quorum_leader_parsing():
    out = "ClusterId:              aGFsYWI\nLeaderId:               3\nLeaderEpoch:            7\n"
    assert roles.parse_quorum_leader(out) == 3
    assert roles.parse_quorum_leader("LeaderId: -1\n") is None
    assert roles.parse_quorum_leader("garbage") is None


def test_etcd_leader_from_status():
    assert roles.etcd_is_leader({"header": {"member_id": "42"}, "leader": "42"})
    assert not roles.etcd_is_leader({"header": {"member_id": "42"}, "leader": "7"})


def _state(leader: int, epoch: int, voted: int = -1) -> str:
    return (f'{{"clusterId":"","leaderId":{leader},"leaderEpoch":{epoch},"votedId":{voted},"appliedOffset":0,'
            '"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}')


def test_the_controller_is_the_leader_of_the_newest_epoch_in_the_voters_quorum_state_files():
    # Steady: every voter names kafka1 in epoch 2 (the files as KRaft writes them).
    assert roles.leader_from_quorum_states([_state(1, 2), _state(1, 2, voted=1), _state(1, 2)]) == 1
    # After a failover the frozen old leader still says 1 in epoch 2; the others elected 3 in epoch 3.
    assert roles.leader_from_quorum_states([_state(1, 2), _state(3, 3, voted=3), _state(3, 3)]) == 3
    # A partitioned voter runs elections of its own (candidate: no leader, ever higher epochs).
    assert roles.leader_from_quorum_states([_state(-1, 9, voted=2), _state(3, 3), _state(3, 3)]) == 3
    # Mid-election nobody names a leader yet; unreadable files say nothing.
    assert roles.leader_from_quorum_states([_state(-1, 4, voted=2), _state(-1, 4, voted=3)]) is None
    assert roles.leader_from_quorum_states(["", "not json", '{"leaderId": 2}']) is None
