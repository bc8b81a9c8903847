"""Probes that use the lab as clients do while a fault is active.

`PROBES` is the one registry of probes: game days name probes (and the stores whose lost writes
they count) from it, the runner starts them from it.
"""

from halab.chaos.probes.base import Probe
from halab.chaos.probes.http import HttpProbe
from halab.chaos.probes.kafka import KafkaProbe
from halab.chaos.probes.postgres import PostgresProbe
from halab.chaos.probes.redis import RedisProbe

# In the order messages list them.
PROBES: dict[str, type[Probe]] = {p.name: p for p in (HttpProbe, PostgresProbe, RedisProbe, KafkaProbe)}

__all__ = ["PROBES", "Probe"]
