"""Game days: the plan (a YAML file: which faults to inject, where, what each may cost) and the
runner that carries it out.

A game day is validated as a whole before anything runs, as Chaos Toolkit validates an experiment:
`load_gameday` reports every problem at once, each with its path inside the file (for example
`scenarios[3].fault`), what is wrong and what is allowed, and raises a ConfigError whose str() is
that report. User mistakes never surface as tracebacks.

    title: Default game day
    defaults: {duration_s: 10, baseline_s: 3, http_rate: 50, write_rate: 20}
    scenarios:
      - name: pg-leader-kill
        description: ...what fails, and which mechanism should recover it...
        fault: kill                  # kill stop pause restart partition delay loss kill-process
        target: pg-leader            # a role, resolved when the scenario runs, or service:pg1
        params: {}                   # fault-specific, see the *Params models
        budget: {max_failover_s: 10, max_lost_writes: {http: 0, postgres: 0}}

The models are frozen; after loading, every scenario's `duration_s` and `probes` are filled in
from the defaults, so the runner never needs to look at `defaults` for them.

The package, one concept per module:

    vocabulary  the words a game day may use (faults, roles, processes, probes, ...)
    models      the typed models and what each checks
    loading     YAML in, a GameDay or one ConfigError listing every problem out
    sentences   pydantic's errors as sentences in the file's own terms
    summary     what `halab chaos validate` prints
    runner      runs the scenarios: steady state, probes, the fault, its revert, the judgement
    progress    what a running game day has done so far (the live views read it)
"""

from halab.chaos.engine.faults import DelayParams, KillProcessParams, LossParams, NoParams, PartitionParams
from halab.chaos.engine.targets import Target
from halab.chaos.gameday.loading import load_gameday, parse_gameday
from halab.chaos.gameday.models import Budget, Defaults, GameDay, Scenario, select
from halab.chaos.gameday.summary import validate_command_output
from halab.chaos.gameday.vocabulary import (
    DEGRADING_FAULTS,
    FAULTS,
    HANDOVER_ROLES,
    PARAMS_BY_FAULT,
    PROBES,
    PROCESSES,
    PROCESSES_BY_GROUP,
    ROLE_GROUPS,
    ROLES,
    SERVICES,
    SIGNALS,
    STORES,
)

__all__ = [
    "Budget", "DEGRADING_FAULTS", "Defaults", "DelayParams", "FAULTS", "GameDay", "HANDOVER_ROLES",
    "KillProcessParams", "LossParams", "NoParams", "PARAMS_BY_FAULT", "PROBES", "PROCESSES",
    "PROCESSES_BY_GROUP", "PartitionParams", "ROLES", "ROLE_GROUPS", "SERVICES", "SIGNALS", "STORES",
    "Scenario", "Target", "load_gameday", "parse_gameday", "select", "validate_command_output",
]
