"""The tiers and roles are defined once (halab.lab.tiers); everything that lists them reads them
from there. These tests fail when a definition and what reads it drift apart."""

from pathlib import Path

import pytest

from halab.chaos.analysis import availability
from halab.chaos.engine import predict, targets
from halab.chaos.gameday import vocabulary
from halab.lab import tiers, topology
from halab.swarm import nodes
from tests.unit.lab.test_status import lab

PAGE = Path(__file__).resolve().parents[3] / "src/halab/dashboard/static/dashboard.js"


def test_every_tier_is_a_service_group_and_every_group_a_tier():
    assert set(tiers.TIERS) == set(topology.SERVICE_GROUPS)
    for tier in tiers.TIERS.values():
        assert 1 <= tier.needed <= len(tier.members), tier


@pytest.mark.parametrize("role", tiers.ROLES.values(), ids=lambda r: r.name)
def test_a_role_names_a_tier_a_known_mechanism_and_a_key_the_status_has(role):
    assert role.tier in tiers.TIERS
    assert role.mechanism is None or role.mechanism in tiers.MECHANISMS
    if role.status_key is not None:
        assert role.status_key in lab().to_json(), f"make status shows no '{role.status_key}'"
    assert not role.leads or role.status_key is not None, "a leader is outlined from its status key"


def test_each_role_has_one_resolver_and_the_vocabulary_reads_the_definitions():
    assert set(targets.RESOLVERS) == set(tiers.ROLES)
    assert vocabulary.ROLES == tuple(tiers.ROLES)
    assert vocabulary.HANDOVER_ROLES == {r.name for r in tiers.ROLES.values() if r.hands_over}
    assert vocabulary.ROLE_GROUPS == {r.name: r.tier for r in tiers.ROLES.values()}


def test_every_modelled_mechanism_has_a_formula_for_every_fault_that_takes_a_member_out():
    assert set(tiers.MECHANISMS) - {tiers.NO_FAILOVER} == set(predict.FORMULAS)
    assert predict.TAKES_OUT == ("kill", "stop", "pause", "partition")
    for role in tiers.ROLES.values():
        for fault in predict.TAKES_OUT:
            assert ((fault, role.name) in predict.MECHANISMS) == (role.mechanism is not None), (fault, role.name)


def test_the_availability_model_and_the_swarm_take_the_tiers_members_from_the_definitions():
    assert [t.name for t in availability.TIERS] == list(tiers.TIERS)
    assert all(t.members == tiers.TIERS[t.name].members for t in availability.TIERS)
    assert set(availability.FAILOVERS) <= set(tiers.TIERS)
    assert nodes.PATRONI_MEMBERS == tiers.TIERS["postgres"].members


def test_the_dashboard_page_lists_no_tier_or_role_of_its_own():
    """It draws them from /api/catalogue: a role added in Python shows on the page."""
    page = PAGE.read_text()
    for tier in tiers.TIERS.values():
        assert (tier.label == tier.name or f'"{tier.label}"' not in page) and tier.pattern not in page, tier.name
    for role in tiers.ROLES.values():
        assert f'"{role.label}"' not in page, role.name


def test_the_swarm_stack_deploys_every_service_of_the_topology():
    """bin/swarm lists the stack's services in bash; they must be the topology's, plus the one-shot
    that creates Kafka's topics."""
    text = (PAGE.parents[4] / "bin" / "swarm").read_text()
    listed = text.split("STACK_SERVICES=(", 1)[1].split(")", 1)[0].split()
    assert sorted(listed) == sorted([*topology.ALL_SERVICES, "kafka-init"])
