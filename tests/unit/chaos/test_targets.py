"""Choosing whom a role-targeted fault hits, on recorded cluster states."""

from halab.chaos.engine.targets import choose_partition_leader


def test_the_partition_leader_killed_is_never_the_active_controller():
    # kafka2 leads two probe partitions but is the controller: killing it is kafka-controller-kill.
    assert choose_partition_leader({0: "kafka2", 1: "kafka2", 2: "kafka3"}, controller="kafka2") == "kafka3"


def test_the_partition_leader_leading_most_probe_partitions_is_chosen():
    assert choose_partition_leader({0: "kafka1", 1: "kafka3", 2: "kafka3"}, controller="kafka2") == "kafka3"
    assert choose_partition_leader({0: "kafka1", 1: "kafka3", 2: "kafka2"}, controller="kafka2") == "kafka1"  # tie: lowest name


def test_no_candidate_when_the_controller_leads_every_probe_partition():
    assert choose_partition_leader({0: "kafka2", 1: "kafka2"}, controller="kafka2") is None
    assert choose_partition_leader({0: None}, controller="kafka1") is None


def test_every_role_belongs_to_a_group_the_lab_has():
    from halab.chaos.engine.targets import ROLES
    from halab.lab.topology import SERVICE_GROUPS

    assert {name: role.group for name, role in ROLES.items() if role.group not in SERVICE_GROUPS} == {}
    assert all(name == role.name for name, role in ROLES.items())
