import threading
from types import SimpleNamespace

from halab.lab import roles, topology
from halab.lab.footprint import resident_bytes
from halab.lab.status import LabStatus, ServiceStatus, find_problems, vip_holders

HEALTHY_PG = roles.PatroniView(
    (
        roles.PatroniMember("pg1", "leader", "running", None),
        roles.PatroniMember("pg2", "sync_standby", "running", 0),
        roles.PatroniMember("pg3", "replica", "running", 0),
    ),
    "pg1",
)
HEALTHY_REDIS = roles.RedisView(
    (roles.RedisNode("redis1", "master"), roles.RedisNode("redis2", "replica", "redis1", True)),
    {"sentinel1": "redis1", "sentinel2": "redis1", "sentinel3": "redis1"},
)
FULL_ISR = ("kafka1", "kafka2", "kafka3")
HEALTHY_KAFKA = roles.KafkaView("kafka1", {0: "kafka1", 1: "kafka2", 2: "kafka3"}, {0: FULL_ISR, 1: FULL_ISR, 2: FULL_ISR})
ETCD = {"etcd1": "leader", "etcd2": "follower", "etcd3": "follower"}


def lab(**overrides):
    fields = dict(
        services=(ServiceStatus("pg1", "postgres", "running", "healthy", "leader"),),
        vip_holders=("lb1",),
        pg=HEALTHY_PG,
        redis=HEALTHY_REDIS,
        kafka=HEALTHY_KAFKA,
        etcd=ETCD,
    )
    fields.update(overrides)
    st = LabStatus(**fields)
    return LabStatus(**fields, problems=find_problems(st))


def test_a_healthy_lab_has_no_problems():
    st = lab()
    assert st.healthy, st.problems
    doc = st.to_json()
    assert (doc["vip_holder"], doc["pg_leader"], doc["pg_sync_standby"], doc["redis_master"], doc["kafka_controller"]) == (
        "lb1", "pg1", "pg2", "redis1", "kafka1",
    )
    assert doc["services"]["pg1"] == {"group": "postgres", "state": "running", "health": "healthy", "role": "leader"}


def test_two_vip_holders_is_split_brain_and_reported():
    st = lab(vip_holders=("lb1", "lb2"))
    assert st.vip_holder is None
    assert any("held by 2 nodes" in p for p in st.problems)


def test_a_paused_service_is_a_problem():
    st = lab(services=(ServiceStatus("redis2", "redis", "paused", "healthy", None),))
    assert "redis2 is paused" in st.problems


def test_missing_sync_standby_is_reported():
    pg = roles.PatroniView((roles.PatroniMember("pg1", "leader", "running", None),), "pg1")
    problems = lab(pg=pg).problems
    assert any("no synchronous standby" in p for p in problems)
    assert "Postgres members missing from the cluster: pg2, pg3" in problems


def test_a_lagging_or_stopped_replica_is_not_steady():
    pg = roles.PatroniView(
        (
            roles.PatroniMember("pg1", "leader", "running", None),
            roles.PatroniMember("pg2", "sync_standby", "running", 5 * 1024 * 1024),
            roles.PatroniMember("pg3", "replica", "stopped", None),
        ),
        "pg1",
    )
    problems = lab(pg=pg).problems
    assert "Postgres replica pg2 is behind the primary (lag 5242880)" in problems
    assert "Postgres member pg3 is stopped" in problems


def test_under_replicated_kafka_partition_is_reported():
    kafka = roles.KafkaView("kafka1", {0: "kafka1"}, {0: ("kafka1", "kafka2")})
    assert "Kafka partitions of order-created with fewer than 3 in-sync replicas: [0]" in lab(kafka=kafka).problems


def test_steady_state_checks_the_probe_topic_too():
    # The app's topic is fully in sync, the chaos probe's is not: not steady.
    kafka = roles.KafkaView("kafka1", {0: "kafka1"}, {0: FULL_ISR},
                            {"halab-probe": ({0: "kafka2", 1: "kafka3"}, {0: FULL_ISR, 1: ("kafka3",)})})
    assert lab(kafka=kafka).problems == ("Kafka partitions of halab-probe with fewer than 3 in-sync replicas: [1]",)
    assert lab(kafka=roles.KafkaView("kafka1", {0: "kafka1"}, {0: FULL_ISR}, {"halab-probe": ({}, {})})).problems == (
        "Kafka topic halab-probe has no partition metadata",)


def test_replica_without_link_is_reported():
    rds = roles.RedisView(
        (roles.RedisNode("redis1", "master"), roles.RedisNode("redis2", "replica", "redis1", False)),
        {"sentinel1": "redis1", "sentinel2": "redis1"},
    )
    assert "Redis replica redis2 has no link to its master" in lab(redis=rds).problems


def test_a_sentinel_in_tilt_mode_is_not_steady():
    # Seen on a Swarm: a node frozen for 20 s came back with its Sentinel in TILT, and the next
    # scenario's Redis failover found no quorum until TILT ended 30 s later.
    tilted = roles.RedisView(HEALTHY_REDIS.nodes, HEALTHY_REDIS.sentinel_answers, ("sentinel2",))
    st = lab(redis=tilted)
    assert not st.healthy
    assert st.problems[0].startswith("sentinel2 in TILT mode"), st.problems
    assert lab().healthy


def test_leaderless_partition_is_reported():
    kafka = roles.KafkaView("kafka1", {0: "kafka1", 1: None}, {})
    assert any("without a leader: [1]" in p for p in lab(kafka=kafka).problems)


def test_resident_memory_prefers_rss_and_falls_back_to_usage_minus_cache():
    assert resident_bytes({"memory_stats": {"usage": 900, "stats": {"rss": 500, "cache": 400}}}) == 500
    assert resident_bytes({"memory_stats": {"usage": 900, "stats": {"anon": 300, "inactive_file": 100}}}) == 300
    assert resident_bytes({"memory_stats": {"usage": 900, "stats": {"inactive_file": 100}}}) == 800


class LoadBalancerAt:
    """A running lb container whose `ip addr` answers only once the other lb is being asked too:
    asked one after the other, the first look waits on the barrier and fails."""

    status = "running"

    def __init__(self, addresses: str, both_asked: threading.Barrier) -> None:
        self.addresses, self.both_asked = addresses, both_asked

    def exec_run(self, cmd, demux=False):
        self.both_asked.wait()
        return SimpleNamespace(exit_code=0, output=self.addresses.encode())


def test_both_load_balancers_are_asked_at_once_so_a_handover_between_looks_is_not_read_as_no_holder():
    both_asked = threading.Barrier(2, timeout=2)
    vip = f"2: eth0    inet {topology.VIP}/32 scope global eth0\n"
    lab_containers = {"lb1": LoadBalancerAt("2: eth0    inet 10.77.0.11/24\n", both_asked), "lb2": LoadBalancerAt(vip, both_asked)}
    assert vip_holders(lab_containers) == ("lb2",)
