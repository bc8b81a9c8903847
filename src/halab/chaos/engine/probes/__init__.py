"""Probes that use the lab as clients do while a fault is active.

`PROBES` is the one registry of probes: game days name probes (and the stores whose lost writes
they count) from it, the runner starts them from it.
"""

from halab.chaos.engine.probes.base import Probe
from halab.chaos.engine.probes.http import HttpProbe
from halab.chaos.engine.probes.kafka import KafkaProbe
from halab.chaos.engine.probes.postgres import PostgresProbe
from halab.chaos.engine.probes.redis import RedisProbe

# In the order messages list them.
PROBES: dict[str, type[Probe]] = {p.name: p for p in (HttpProbe, PostgresProbe, RedisProbe, KafkaProbe)}

__all__ = ["PROBES", "Probe"]
