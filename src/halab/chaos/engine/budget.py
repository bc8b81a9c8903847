"""What a scenario may cost at most: one definition, which a game day file fills in and `measure.judge`
reads. A limit left out is measured but not judged."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from halab.chaos.engine.probes import PROBES
from halab.chaos.schema import Count, Number, StrictModel, one_of

PROBE_NAMES: tuple[str, ...] = tuple(PROBES)
ProbeName = Literal[PROBE_NAMES]  # type: ignore[valid-type]
# Where lost writes are counted: http = orders acknowledged to HTTP clients; the others are the
# write probes of each store. Each is measured by the probe of the same name.
STORES: tuple[str, ...] = PROBE_NAMES
StoreName = ProbeName


class Budget(StrictModel):
    """What the scenario may cost at most; a limit left out is measured but not judged."""

    max_failover_s: Number | None = Field(None, gt=0, description="seconds clients may see failures")
    # Whose failover max_failover_s limits: the probes named here (e.g. [postgres] for "writes
    # accepted again"), or by default the worst of all probes.
    failover_of: tuple[Annotated[ProbeName, one_of("probe", PROBE_NAMES)], ...] | None = None
    max_failed_requests: Count | None = Field(None, ge=0)
    max_lost_writes: dict[Annotated[StoreName, one_of("store", STORES)], Annotated[Count, Field(ge=0)]] = Field(
        default_factory=dict
    )
    # Whether disruption when a recovered member rejoins (e.g. a returning lb) counts against the budget.
    counts_return_disruption: StrictBool = True
