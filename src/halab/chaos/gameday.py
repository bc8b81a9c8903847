"""Game days: the YAML files that say which faults to inject, where, and what each may cost.

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
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    Strict,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from halab.chaos.errors import ConfigError
from halab.lab.topology import ALL_SERVICES, group_of

# --- vocabulary ----------------------------------------------------------------------------------

# `none` is the control: probes run, nothing is injected, and no role may move (no false failover).
FAULTS: tuple[str, ...] = ("kill", "stop", "pause", "restart", "partition", "delay", "loss", "kill-process", "none")
Fault = Literal["kill", "stop", "pause", "restart", "partition", "delay", "loss", "kill-process", "none"]

# Roles name whoever holds them when the scenario runs (make status shows the holders).
ROLE_GROUPS: dict[str, str] = {
    "vip-holder": "edge",
    "lb-backup": "edge",
    "pg-leader": "postgres",
    "pg-sync-standby": "postgres",
    "pg-replica": "postgres",  # the asynchronous replica
    "redis-master": "redis",
    "redis-replica": "redis",
    "kafka-partition-leader": "kafka",
    "kafka-controller": "kafka",
    "app": "app",  # any one app replica
    "etcd": "etcd",  # any one etcd member
    "etcd-leader": "etcd",
    "sentinel": "sentinel",  # any one Sentinel
}
ROLES: tuple[str, ...] = tuple(ROLE_GROUPS)
SERVICES: tuple[str, ...] = tuple(ALL_SERVICES)
SERVICE_PREFIX = "service:"

# Roles whose holder, when it fails, hands the role to another member: a new holder is expected.
# The others (lb-backup, replicas, any app/etcd/sentinel member) fail without moving a role.
HANDOVER_ROLES: frozenset[str] = frozenset(
    {"vip-holder", "pg-leader", "pg-sync-standby", "redis-master", "kafka-partition-leader",
     "kafka-controller", "etcd-leader"}
)
# Faults that degrade a member without taking it out; no role change is expected by default.
DEGRADING_FAULTS: frozenset[str] = frozenset({"delay", "loss"})

PROCESSES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "edge": ("haproxy", "keepalived"),
    "postgres": ("postgres", "patroni"),
    "redis": ("redis",),
    "sentinel": ("sentinel",),
    "kafka": ("kafka",),
}
PROCESSES: tuple[str, ...] = tuple(p for procs in PROCESSES_BY_GROUP.values() for p in procs)
Process = Literal["haproxy", "keepalived", "postgres", "patroni", "redis", "sentinel", "kafka"]
SIGNALS: tuple[str, ...] = ("KILL", "TERM")
Signal = Literal["KILL", "TERM"]

PROBES: tuple[str, ...] = ("http", "postgres", "redis", "kafka")
Probe = Literal["http", "postgres", "redis", "kafka"]
# Where lost writes are counted: http = orders acknowledged to HTTP clients; the others are the
# write probes of each store. Each is measured by the probe of the same name.
STORES: tuple[str, ...] = PROBES
Store = Probe

MAX_DURATION_S = 300
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# Numbers taken strictly: YAML's `true` is an int to Python and `.inf`/`.nan` are floats, yet none
# of them is a number of seconds or of requests; a quoted "10" is text.
Number = Annotated[float, Strict(), AllowInfNan(False)]
Count = StrictInt

# PyYAML composes nodes recursively, so a file nested a few thousand levels deep would end in a
# RecursionError. A game day needs 5 levels (scenarios[0].budget.max_lost_writes.http); stop at 20.
MAX_NESTING = 20


# --- helpers for messages ------------------------------------------------------------------------

def suggest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest choice to a mistyped value, or None when nothing is close."""
    lowered = {c.lower(): c for c in choices}
    if value.lower() in lowered:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def unknown(what: str, value: object, choices: tuple[str, ...] | list[str], *, label: str = "available") -> str:
    """`unknown fault 'kil'; available: kill, stop, ...; did you mean 'kill'?`"""
    if not isinstance(value, str):
        return f"must be one of: {', '.join(choices)}, got {describe(value)}"
    message = f"unknown {what} '{value}'; {label}: {', '.join(choices)}"
    hint = suggest(value, choices)
    return f"{message}; did you mean '{hint}'?" if hint else message


def describe(value: object) -> str:
    """A short rendering of a YAML value for messages: `'ten'`, `500`, `a list`, `nothing`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"  # as YAML spells it
        # repr, not :g, which shows 300.0001 as 300
        return repr(value) if math.isfinite(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _error(kind: str, message: str) -> PydanticCustomError:
    # No context: the message is final, braces in user input are left alone.
    return PydanticCustomError(kind, message)


def _fail(title: str, problems: list[tuple[tuple[str | int, ...], str, str, Any]]) -> ValidationError:
    """A ValidationError carrying (loc, kind, message, input) problems; raised inside a validator,
    pydantic prefixes each loc with the validator's own position."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=_error(kind, msg), loc=loc, input=value) for loc, kind, msg, value in problems]
    )


def _carry(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of `exc`, ready to be raised again together with more."""
    return [
        InitErrorDetails(type=PydanticCustomError(e["type"], e["msg"], e.get("ctx")), loc=e["loc"], input=e["input"])
        for e in exc.errors()
    ]


def _one_of(what: str, choices: tuple[str, ...]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        raise _error(f"unknown_{what}", unknown(what, value, choices))

    return BeforeValidator(check)


# --- targets -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a fault hits: a role (resolved to its holder when the scenario runs) or one service."""

    kind: Literal["role", "service"]
    name: str

    @classmethod
    def parse(cls, text: object) -> Target:
        """`pg-leader` or `service:pg1`; raises ValueError with a sentence naming what exists."""
        if isinstance(text, Target):
            return text
        if not isinstance(text, str):
            raise ValueError(
                f"must be a role ({', '.join(ROLES)}) or service:<name>, got {describe(text)}"
            )
        text = text.strip()
        if text.startswith(SERVICE_PREFIX):
            name = text[len(SERVICE_PREFIX):]
            if name in ALL_SERVICES:
                return cls("service", name)
            raise ValueError(unknown("service", name, SERVICES, label="services"))
        if text in ROLE_GROUPS:
            return cls("role", text)
        message = (
            f"unknown target '{text}'; roles: {', '.join(ROLES)}; "
            f"or one service as service:<name> (e.g. service:pg1)"
        )
        if text in ALL_SERVICES:
            return_hint = f"{SERVICE_PREFIX}{text}"
        else:
            return_hint = suggest(text, ROLES)
        raise ValueError(f"{message}; did you mean '{return_hint}'?" if return_hint else message)

    @property
    def group(self) -> str:
        """The service group it belongs to: edge, app, etcd, postgres, redis, sentinel, kafka."""
        return ROLE_GROUPS[self.name] if self.kind == "role" else group_of(self.name)

    def __str__(self) -> str:
        return self.name if self.kind == "role" else f"{SERVICE_PREFIX}{self.name}"


def _target(value: Any) -> Target:
    try:
        return Target.parse(value)
    except ValueError as exc:
        raise _error("unknown_target", str(exc)) from None


TargetField = Annotated[Target, PlainValidator(_target), PlainSerializer(str, return_type=str)]


# --- models --------------------------------------------------------------------------------------

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _none_is_empty(value: Any) -> Any:
    # `defaults:` / `params:` with nothing after them mean "none given".
    return {} if value is None else value


class Defaults(_Model):
    """Settings every scenario uses unless it overrides them."""

    duration_s: Number = Field(10, gt=0, le=MAX_DURATION_S, description="how long the fault lasts, in seconds")
    baseline_s: Number = Field(3, ge=0, description="probing before the fault, in seconds")
    steady_timeout_s: Number = Field(120, gt=0, description="how long to wait for steady state before a scenario")
    recovery_timeout_s: Number = Field(120, gt=0, description="how long to wait for recovery after a fault")
    http_rate: Number = Field(50, ge=1, le=500, description="HTTP requests per second")
    write_rate: Number = Field(20, ge=1, le=200, description="writes per second per store probe")
    probes: tuple[Annotated[Probe, _one_of("probe", PROBES)], ...] = PROBES

    @field_validator("probes")
    @classmethod
    def _probes_once(cls, value: Any) -> Any:
        return _unique_probes(value)


def _unique_probes(probes: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if probes is None:
        return None
    if not probes:
        raise _error("empty_probes", f"must list at least one probe: {', '.join(PROBES)}")
    repeated = sorted({p for p in probes if probes.count(p) > 1})
    if repeated:
        raise _error("duplicate_probe", f"lists {', '.join(repr(p) for p in repeated)} more than once")
    return probes


class NoParams(_Model):
    """kill, stop, pause, restart take no parameters."""


class KillProcessParams(_Model):
    """kill-process: kill one process inside the target's container, leaving the container up."""

    process: Annotated[Process, _one_of("process", PROCESSES)] = Field(
        description=f"one of {', '.join(PROCESSES)}, running on the target"
    )
    signal: Annotated[Signal, _one_of("signal", SIGNALS)] = "KILL"


class PartitionParams(_Model):
    """partition: cut the target off from `from` (default: from the whole lab network)."""

    from_: tuple[TargetField, ...] | None = Field(None, alias="from")

    @field_validator("from_")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if value is not None and not value:
            raise _error("empty_from", "must name at least one target; leave `from` out to cut the target "
                                       "off from the whole lab network")
        return value


class DelayParams(_Model):
    """delay: add latency to the target's network traffic."""

    delay_ms: Count = Field(ge=1, le=10_000, description="added latency in milliseconds, 1..10000")
    jitter_ms: Count = Field(0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _jitter_within_delay(self) -> DelayParams:
        if self.jitter_ms > self.delay_ms:
            raise _fail("DelayParams", [(
                ("jitter_ms",), "jitter_too_large",
                f"must be at most delay_ms ({self.delay_ms}), got {self.jitter_ms}", self.jitter_ms,
            )])
        return self


class LossParams(_Model):
    """loss: drop a share of the target's packets."""

    loss_pct: Number = Field(gt=0, le=100, description="share of packets dropped, in percent, 0 < x <= 100")


Params = Union[NoParams, KillProcessParams, PartitionParams, DelayParams, LossParams]
PARAMS_BY_FAULT: dict[str, type[_Model]] = {
    "kill": NoParams,
    "none": NoParams,
    "stop": NoParams,
    "pause": NoParams,
    "restart": NoParams,
    "kill-process": KillProcessParams,
    "partition": PartitionParams,
    "delay": DelayParams,
    "loss": LossParams,
}


class Budget(_Model):
    """What the scenario may cost at most; a limit left out is measured but not judged."""

    max_failover_s: Number | None = Field(None, gt=0, description="seconds clients may see failures")
    # Whose failover max_failover_s limits: the probes named here (e.g. [postgres] for "writes
    # accepted again"), or by default the worst of all probes.
    failover_of: tuple[Annotated[Probe, _one_of("probe", PROBES)], ...] | None = None
    max_failed_requests: Count | None = Field(None, ge=0)
    max_lost_writes: dict[Annotated[Store, _one_of("store", STORES)], Annotated[Count, Field(ge=0)]] = Field(
        default_factory=dict
    )
    # Whether disruption when a recovered member rejoins (e.g. a returning lb) counts against the budget.
    counts_return_disruption: StrictBool = True


class Scenario(_Model):
    """One fault on one target, and the budget it must stay within."""

    name: str = Field(description="a slug: lowercase letters, digits and dashes")
    description: str = Field(description="what fails and which mechanism should recover it")
    fault: Annotated[Fault, _one_of("fault", FAULTS)] = Field(description=f"one of {', '.join(FAULTS)}")
    target: TargetField | None = Field(None, description=f"a role ({', '.join(ROLES)}) or service:<name>; "
                                                         "required, except for the control fault 'none'")
    duration_s: Number | None = Field(None, gt=0, le=MAX_DURATION_S)
    probes: tuple[Annotated[Probe, _one_of("probe", PROBES)], ...] | None = None
    params: Params = Field(default_factory=dict, validate_default=True)  # type: ignore[assignment]
    budget: Budget = Field(
        description="the limits it must stay within: max_failover_s, max_failed_requests, max_lost_writes"
    )
    expect_role_change: StrictBool | None = None

    @field_validator("probes")
    @classmethod
    def _probes_once(cls, value: Any) -> Any:
        return _unique_probes(value)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if SLUG.match(value):
            return value
        message = (
            f"must be a slug: lowercase letters, digits and dashes, 1 to 64 characters, "
            f"starting with a letter or digit, got {describe(value)}"
        )
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:64]
        raise _error("bad_name", f"{message}; try '{slug}'" if slug and slug != value else message)

    @field_validator("description")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise _error("empty", "must not be empty: say what fails and which mechanism should recover it")
        return value

    @field_validator("params", mode="plain")
    @classmethod
    def _params_for_fault(cls, value: Any, info: ValidationInfo) -> Any:
        fault = info.data.get("fault")
        value = _none_is_empty(value)
        if isinstance(value, BaseModel):
            value = value.model_dump(by_alias=True)
        if fault is None:
            return value  # the fault is missing or wrong and already reported
        model = PARAMS_BY_FAULT[fault]
        if not isinstance(value, dict):
            raise _error("params_type", f"must be a mapping of the {fault} fault's parameters, got {describe(value)}")
        allowed = [f.alias or name for name, f in model.model_fields.items()]
        problems: list[tuple[tuple[str | int, ...], str, str, Any]] = []
        for key in value:
            if key in allowed:
                continue
            if not allowed:
                message = f"unknown key '{key}': fault '{fault}' takes no params"
            else:
                message = f"unknown key '{key}' for fault '{fault}'; allowed: {', '.join(allowed)}"
                hint = suggest(str(key), allowed)
                message += f"; did you mean '{hint}'?" if hint else ""
            problems.append(((key,), "unknown_param", message, value[key]))
        known = {k: v for k, v in value.items() if k in allowed}
        try:
            params = model.model_validate(known)
        except ValidationError as exc:
            carried = _carry(exc)
            for error in carried:  # say what a missing parameter is: the union hides it from _sentence
                field = model.model_fields.get(str(error["loc"][0])) if len(error["loc"]) == 1 else None
                if error["type"].type == "missing" and field is not None and field.description:
                    error["type"] = _error("missing", f"is required ({field.description})")
            extra = [InitErrorDetails(type=_error(kind, msg), loc=loc, input=v) for loc, kind, msg, v in problems]
            raise ValidationError.from_exception_data(model.__name__, carried + extra) from None
        if problems:
            raise _fail(model.__name__, problems)
        target = info.data.get("target")
        if isinstance(params, PartitionParams) and target is not None and params.from_:
            itself = [(("from", i), "partition_from_itself",
                       f"'{peer}' is the target itself; a node cannot be cut off from itself", str(peer))
                      for i, peer in enumerate(params.from_) if peer == target]
            if itself:
                raise _fail(model.__name__, itself)
        if isinstance(params, KillProcessParams) and target is not None:
            runs_there = PROCESSES_BY_GROUP.get(target.group, ())
            if params.process not in runs_there:
                where = f"{target} ({target.group} group)"
                if runs_there:
                    message = (f"process '{params.process}' does not run on {where}; "
                               f"processes there: {', '.join(runs_there)}")
                else:
                    message = (f"kill-process cannot target {where}: none of its processes can be killed "
                               f"alone; kill-process works on edge, postgres, redis, sentinel and kafka targets")
                raise _fail(model.__name__, [(("process",), "process_not_on_target", message, params.process)])
        return params

    def fault_params(self, resolve: Callable[[Target], str] | None = None) -> dict[str, Any]:
        """The params as the fault classes take them: a plain dict (`from` as target strings).
        For a partition with `from`, also `from_services`: the service names those targets name
        now, role targets through `resolve` (e.g. `lambda t: targets.resolve(lab, t.kind, t.name)`)."""
        params = self.params.model_dump(by_alias=True) if isinstance(self.params, BaseModel) else dict(self.params)
        if isinstance(self.params, PartitionParams) and self.params.from_:
            services = []
            for peer in self.params.from_:
                if peer.kind == "service":
                    services.append(peer.name)
                elif resolve is None:
                    raise ValueError(f"partition from the role '{peer}' needs a resolve function to name its holder")
                else:
                    services.append(resolve(peer))
            params["from_services"] = list(dict.fromkeys(services))
        return params

    @field_serializer("params")
    def _dump_params(self, params: Any) -> Any:
        return params.model_dump(by_alias=True) if isinstance(params, BaseModel) else params

    @model_validator(mode="after")
    def _target_unless_control(self) -> Scenario:
        if self.target is None and self.fault != "none":
            raise _fail("Scenario", [(("target",), "missing",
                                      f"is required for fault '{self.fault}' (a role such as pg-leader, or service:<name>)", None)])
        if self.target is not None and self.fault == "none":
            raise _fail("Scenario", [(("target",), "target_on_control",
                                      "must be left out: the control fault 'none' injects nothing into anyone", str(self.target))])
        return self

    def expects_role_change(self) -> bool:
        """`expect_role_change` if set; otherwise true when a disruptive fault hits the holder of a
        role that is handed over to another member (vip-holder, pg-leader, redis-master, ...)."""
        if self.expect_role_change is not None:
            return self.expect_role_change
        return (
            self.target is not None
            and self.target.kind == "role"
            and self.target.name in HANDOVER_ROLES
            and self.fault not in DEGRADING_FAULTS
        )


class GameDay(_Model):
    """A whole game day: scenarios run in order, each from steady state."""

    title: str = Field(description="a short name for the game day")
    description: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    scenarios: tuple[Scenario, ...]

    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str:
        """The file it was loaded from, for messages."""
        return self._source or "<game day>"

    @field_validator("title")
    @classmethod
    def _title_non_empty(cls, value: str) -> str:
        if not value.strip():
            raise _error("empty", "must not be empty")
        return value

    @field_validator("defaults", mode="before")
    @classmethod
    def _defaults_none(cls, value: Any) -> Any:
        return _none_is_empty(value)

    @field_validator("scenarios", mode="wrap")
    @classmethod
    def _unique_names(cls, value: Any, handler: Any) -> Any:
        duplicates = []
        if isinstance(value, (list, tuple)) and not value:
            raise _error("empty_scenarios", "must list at least one scenario")
        if isinstance(value, (list, tuple)):
            first_seen: dict[str, int] = {}
            for index, item in enumerate(value):
                name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
                if not isinstance(name, str):
                    continue
                if name in first_seen:
                    duplicates.append(InitErrorDetails(
                        type=_error("duplicate_name", (
                            f"duplicate scenario name '{name}': scenarios[{first_seen[name]}] and "
                            f"scenarios[{index}] both use it; names must be unique")),
                        loc=(index, "name"), input=name,
                    ))
                else:
                    first_seen[name] = index
        try:
            scenarios = handler(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data("GameDay", _carry(exc) + duplicates) from None
        if duplicates:
            raise ValidationError.from_exception_data("GameDay", duplicates)
        return scenarios

    @model_validator(mode="after")
    def _fill_in_and_check_budgets(self) -> GameDay:
        filled = []
        problems: list[tuple[tuple[str | int, ...], str, str, Any]] = []
        for index, scenario in enumerate(self.scenarios):
            probes = scenario.probes or self.defaults.probes
            scenario = scenario.model_copy(update={
                "duration_s": scenario.duration_s if scenario.duration_s is not None else self.defaults.duration_s,
                "probes": probes,
            })
            filled.append(scenario)
            budget = scenario.budget
            need = [(("max_lost_writes", store), store) for store in budget.max_lost_writes]
            need += [(("failover_of", i), probe) for i, probe in enumerate(budget.failover_of or ())]
            if budget.max_failed_requests is not None:
                need.append((("max_failed_requests",), "http"))
            for loc, probe in need:
                if probe not in probes:
                    problems.append((
                        ("scenarios", index, "budget", *loc), "probe_not_running",
                        f"needs the {probe} probe, which this scenario does not run (probes: {', '.join(probes)})",
                        probe,
                    ))
        if problems:
            raise _fail("GameDay", problems)
        object.__setattr__(self, "scenarios", tuple(filled))
        return self

    def scenario_names(self) -> list[str]:
        return [s.name for s in self.scenarios]


# --- loading -------------------------------------------------------------------------------------

class _TooDeep(yaml.YAMLError):
    """A node deeper than MAX_NESTING, at `mark`."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(mark)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that also notes keys given twice in one mapping (PyYAML keeps the last silently)
    and stops at MAX_NESTING levels, before the recursive composer runs out of stack."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[yaml.Node, yaml.Node]] = []  # (repeated key, first key)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self._depth > MAX_NESTING:
            raise _TooDeep(self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                self.duplicate_keys.append((key_node, seen[key]))
            else:
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_gameday(path: str | PathLike[str], *, display_name: str | None = None) -> GameDay:
    """Reads and validates a game-day file; raises ConfigError reporting every problem at once.
    `display_name` is what messages call the file (e.g. its path on the host, when the controller
    runs in a container); by default, `path`."""
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"game-day file '{name}' not found") from None
    except IsADirectoryError:
        raise ConfigError(f"game-day file '{name}' is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"game-day file '{name}' cannot be read: {exc}") from None
    return parse_gameday(text, source=name)


def parse_gameday(text: str, source: str = "<game day>") -> GameDay:
    """Validates game-day YAML text; `source` names it in messages."""
    try:
        return _parse(text, source)
    except RecursionError:
        # The backstop: _Loader bounds the nesting, but a user's file must never end in a traceback.
        raise ConfigError(_too_deep(source)) from None


def _too_deep(source: str, mark: yaml.Mark | None = None) -> str:
    where = (f"more than {MAX_NESTING} levels, at line {mark.line + 1}, column {mark.column + 1}"
             if mark else "more levels than can be read")
    return (f"game-day file '{source}' is nested too deeply ({where}); "
            "a game day needs at most 5, as in scenarios[0].budget.max_lost_writes.http")


def _parse(text: str, source: str) -> GameDay:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _TooDeep as exc:
        raise ConfigError(_too_deep(source, exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_yaml_error(source, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"game-day file '{source}' is not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        raise ConfigError(f"game-day file '{source}' is empty; it needs at least a title and scenarios")

    found: list[tuple[int, str]] = []  # (line, problem)
    for key_node, first in loader.duplicate_keys:
        line = key_node.start_mark.line + 1
        found.append((line, f"{_path(_loc_of(root, first))}: given twice, on lines {first.start_mark.line + 1} "
                            f"and {line}; give each key once (line {line})"))
    gameday: GameDay | None = None
    try:
        gameday = GameDay.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            line = _line_of(root, error["loc"])
            suffix = f" (line {line})" if line else ""
            found.append((line or 0, f"{_path(error['loc'])}: {_sentence(error)}{suffix}"))
    if found or gameday is None:
        problems = [problem for _, problem in sorted(found, key=lambda item: item[0])]
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigError(problems, heading=f"invalid game-day file '{source}' ({count})")
    gameday._source = source
    return gameday


def select(gameday: GameDay, name: str) -> Scenario:
    """The scenario called `name`; raises ConfigError naming the ones that exist."""
    for scenario in gameday.scenarios:
        if scenario.name == name:
            return scenario
    raise ConfigError(unknown("scenario", name, gameday.scenario_names()).replace(
        f"unknown scenario '{name}';", f"unknown scenario '{name}' in {gameday.source};", 1))


def validate_command_output(gameday: GameDay) -> str:
    """What `make chaos-validate` prints for a valid game day."""
    d = gameday.defaults
    count = len(gameday.scenarios)
    lines = [
        f"{gameday.source}: valid game day '{gameday.title}', {count} scenario{'s' if count != 1 else ''}",
        f"defaults: fault {d.duration_s:g} s after a {d.baseline_s:g} s baseline; "
        f"HTTP {d.http_rate:g} req/s, {d.write_rate:g} writes/s per store; probes {', '.join(d.probes)}",
    ]
    rows = [(f"{i}.", s.name, s.fault, _target_text(s), _budget_text(s.budget))
            for i, s in enumerate(gameday.scenarios, 1)]
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[col]) for col, cell in enumerate(row[:4])) + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines)


def _target_text(scenario: Scenario) -> str:
    if scenario.target is None:
        return "(control: nothing injected)"
    text = str(scenario.target)
    p = scenario.params
    if isinstance(p, KillProcessParams):
        text += f" ({p.process}, SIG{p.signal})"
    elif isinstance(p, PartitionParams):
        text += f" (from {', '.join(map(str, p.from_))})" if p.from_ else " (from the lab network)"
    elif isinstance(p, DelayParams):
        text += f" (+{p.delay_ms} ms" + (f" ±{p.jitter_ms} ms)" if p.jitter_ms else ")")
    elif isinstance(p, LossParams):
        text += f" ({p.loss_pct:g}% loss)"
    return text


def _budget_text(budget: Budget) -> str:
    parts = []
    if budget.max_failover_s is not None:
        whose = f" ({', '.join(budget.failover_of)})" if budget.failover_of else ""
        parts.append(f"failover <= {budget.max_failover_s:g} s{whose}")
    if budget.max_failed_requests is not None:
        parts.append(f"failed requests <= {budget.max_failed_requests}")
    if budget.max_lost_writes:
        lost = ", ".join(f"{store} {n}" for store, n in budget.max_lost_writes.items())
        parts.append(f"lost writes <= {lost}")
    return "; ".join(parts) or "no limits (measured only)"


# --- turning pydantic's errors into sentences ---------------------------------------------------

def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out or "top level"


_NUMBER_WORDS = {
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "int_parsing_size": "a whole number",
}
_UNITS = {"_ms": "milliseconds", "_s": "seconds"}  # by the field name's ending
_TYPE_WORDS = {
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list", "tuple_type": "must be a list",
    "dict_type": "must be a mapping (key: value)",
}
_BOUNDS = {
    "greater_than": ("gt", "must be greater than"), "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"), "less_than_equal": ("le", "must be at most"),
}


def _sentence(error: dict[str, Any]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = error["loc"]
    if kind == "missing":
        if error["msg"].startswith("is required"):
            return error["msg"]
        field = _field_at(loc)
        hint = field.description if field is not None and field.description else None
        return f"is required ({hint})" if hint else "is required"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        key = str(loc[-1])
        if model is None:
            return f"unknown key '{key}'"
        allowed = [f.alias or n for n, f in model.model_fields.items()]
        message = f"unknown key '{key}'; allowed: {', '.join(allowed)}"
        hint = suggest(key, allowed)
        return f"{message}; did you mean '{hint}'?" if hint else message
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        model = _model_at(loc)
        keys = f" with keys {', '.join(f.alias or n for n, f in model.model_fields.items())}" if model else ""
        return f"must be a mapping{keys}, got {describe(value)}"
    if kind in _NUMBER_WORDS:
        field = str(loc[-1]) if loc else ""
        unit = next((f" of {unit}" for end, unit in _UNITS.items() if field.endswith(end)), "")
        return f"must be {_NUMBER_WORDS[kind]}{unit}, got {describe(value)}"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {describe(value)}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        limit = ctx.get(key)  # our own constant, made a float by a float field: 300, not 300.0
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"{words} {describe(limit)}, got {describe(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"must list at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        return f"must list at most {ctx.get('max_length')} items"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected')}, got {describe(value)}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    # Our own validators' messages are final; pydantic's start with a capital we lower.
    message = error["msg"]
    return message[:1].lower() + message[1:] if message else kind


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or isinstance(tp, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if isinstance(part, int):
        if origin in (list, tuple):
            return get_args(tp)[0]
        return None
    if origin is dict:
        return get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if (field.alias or name) == part:
                return field.annotation
    return None


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    tp: Any = GameDay
    for part in loc:
        if part == "[key]":
            return None
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field_at(loc: tuple[str | int, ...]) -> Any:
    if not loc:
        return None
    model = _model_at(loc[:-1])
    if model is None:
        return None
    return next((f for n, f in model.model_fields.items() if (f.alias or n) == loc[-1]), None)


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node `loc` reaches in the YAML (the parent for a missing key)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if part == "[key]":
            break
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _loc_of(node: yaml.Node, wanted: yaml.Node, seen: set[int] | None = None) -> tuple[str | int, ...]:
    """The path to the mapping key node `wanted` (for messages about the YAML itself)."""
    # Each node once: an alias is its anchor's node again, and `&a [*a]` contains itself.
    seen = set() if seen is None else seen
    if id(node) in seen:
        return ()
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key is wanted:
                return (str(key.value),)
            found = _loc_of(value, wanted, seen)
            if found:
                return (str(key.value), *found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _loc_of(item, wanted, seen)
            if found:
                return (index, *found)
    return ()


def _yaml_error(source: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "syntax error"
    if mark is None:
        return f"game-day file '{source}' is not valid YAML: {what}"
    message = f"game-day file '{source}' is not valid YAML: line {mark.line + 1}, column {mark.column + 1}: {what}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    snippet = mark.get_snippet()
    return f"{message}\n{snippet}" if snippet else message


__all__ = [
    "Budget", "DEGRADING_FAULTS", "Defaults", "DelayParams", "FAULTS", "GameDay", "HANDOVER_ROLES",
    "KillProcessParams", "LossParams", "NoParams", "PARAMS_BY_FAULT", "PROBES", "PROCESSES",
    "PROCESSES_BY_GROUP", "PartitionParams", "ROLES", "ROLE_GROUPS", "SERVICES", "SIGNALS", "STORES",
    "Scenario", "Target", "load_gameday", "parse_gameday", "select", "validate_command_output",
]
