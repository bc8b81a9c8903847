"""The lab's tiers and the roles in them, each defined once: the status, the game-day vocabulary,
the predictions, the availability model, the Swarm's node targets and the dashboard's page
(through /api/catalogue) read them from here.

A tier is a group of members doing one job (a service group of `topology`); a role is what one
member of a tier holds at a time (the VIP, the Patroni leader). How to find a role's holder when
a fault is aimed at it is the controller's (`halab.chaos.engine.targets.RESOLVERS`): adding a role
is its definition here and its resolver there.
"""

from __future__ import annotations

from dataclasses import dataclass

from halab.lab import topology


@dataclass(frozen=True)
class Tier:
    name: str  # the service group: edge, app, postgres, ...
    label: str  # as the dashboard heads it
    pattern: str  # how the members share the work
    needed: int  # members that must be up for the tier to serve

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(topology.SERVICE_GROUPS[self.name])


# In the order a request meets them. Sentinel answers the app's discovery (any one will do), and
# etcd holds Patroni's leader key (a majority must be up, or Patroni demotes the primary).
TIERS: dict[str, Tier] = {t.name: t for t in (
    Tier("edge", "Edge: HAProxy + keepalived", "active-passive: one holds the VIP (VRRP)", 1),
    Tier("app", "App replicas", "active-active, N+1: any replica serves (state lives in Redis and Postgres)", 1),
    Tier("postgres", "PostgreSQL under Patroni", "primary + sync standby + async replica (Patroni)", 1),
    Tier("etcd", "etcd", "quorum: a majority of 3 holds Patroni's leader key", 2),
    Tier("redis", "Redis", "master + 2 replicas (Sentinel)", 1),
    Tier("sentinel", "Sentinel", "any Sentinel answers discovery, 2 of 3 must agree the master is down", 1),
    Tier("kafka", "Kafka (KRaft)", "acks=all, min.insync.replicas=2: 2 of 3", 2),
)}

# A role's failover mechanism, as `halab.chaos.engine.predict` models it. NO_FAILOVER: the other
# members carry on and clients see nothing; None: not modelled (no prediction is made).
NO_FAILOVER = "none"
MECHANISMS = ("vrrp", "haproxy-health-check", "patroni", "sentinel", "kafka-leader-election",
              "kafka-controller-election", NO_FAILOVER)


@dataclass(frozen=True)
class Role:
    """A role a fault can target: whoever holds it when the scenario runs."""

    name: str  # as a game day names it: pg-leader
    tier: str
    label: str  # in words a workshop reads: "Postgres leader"
    # Its holder's key in the status (`make status`, the dashboard's /api/lab); None: the status
    # shows no single holder (a backup, any replica, a follower).
    status_key: str | None = None
    # When its holder fails, another member takes the role over: a new holder is expected, and the
    # runner watches for it. The others fail without moving a role.
    hands_over: bool = False
    # The tier's elected or VIP-holding leader: a change of holder is a failover, so a control
    # scenario that sees one fails ("false failover") and the dashboard outlines the holder.
    leads: bool = False
    mechanism: str | None = None  # one of MECHANISMS


# In the order messages list them.
ROLES: dict[str, Role] = {r.name: r for r in (
    Role("vip-holder", "edge", "VIP holder", "vip_holder", hands_over=True, leads=True, mechanism="vrrp"),
    Role("lb-backup", "edge", "backup load balancer", mechanism=NO_FAILOVER),
    Role("pg-leader", "postgres", "Postgres leader", "pg_leader", hands_over=True, leads=True, mechanism="patroni"),
    Role("pg-sync-standby", "postgres", "sync standby", "pg_sync_standby", hands_over=True),
    Role("pg-replica", "postgres", "async replica", mechanism=NO_FAILOVER),
    Role("redis-master", "redis", "Redis master", "redis_master", hands_over=True, leads=True, mechanism="sentinel"),
    Role("redis-replica", "redis", "Redis replica", mechanism=NO_FAILOVER),
    Role("kafka-partition-leader", "kafka", "partition leader", hands_over=True, mechanism="kafka-leader-election"),
    Role("kafka-controller", "kafka", "Kafka controller", "kafka_controller", hands_over=True, leads=True,
         mechanism="kafka-controller-election"),
    Role("app", "app", "an app replica", mechanism="haproxy-health-check"),
    Role("etcd", "etcd", "an etcd follower", mechanism=NO_FAILOVER),  # a follower: losing one costs no election
    Role("etcd-leader", "etcd", "etcd leader", "etcd_leader", hands_over=True, leads=True),
    Role("sentinel", "sentinel", "a Sentinel", mechanism=NO_FAILOVER),
)}

def leaders() -> tuple[Role, ...]:
    return tuple(r for r in ROLES.values() if r.leads)
