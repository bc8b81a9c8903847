"""The game day as typed, frozen models: defaults, budgets, scenarios, the whole game day.

Validating a model checks everything that can be checked without the lab: names against the
vocabulary, numbers against their bounds, params against their fault's own model (which lives
with the fault, in `halab.chaos.engine.faults`), budgets against the probes that run. Every message is a
sentence (see `halab.chaos.schema`); `loading` adds where in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from halab.chaos.engine.budget import Budget
from halab.chaos.engine.faults import FaultParams
from halab.chaos.engine.targets import Target, TargetField
from halab.chaos.errors import ConfigError
from halab.chaos.gameday.vocabulary import (
    DEGRADING_FAULTS,
    FAULTS,
    HANDOVER_ROLES,
    MAX_DURATION_S,
    PARAMS_BY_FAULT,
    PROBES,
    ROLES,
    SLUG,
    FaultName,
    ProbeName,
)
from halab.chaos.schema import (
    Number,
    Problem,
    StrictModel,
    carry,
    custom_error,
    describe,
    fail,
    one_of,
    suggest,
    unknown,
)


def _none_is_empty(value: Any) -> Any:
    # `defaults:` / `params:` with nothing after them mean "none given".
    return {} if value is None else value


class Defaults(StrictModel):
    """Settings every scenario uses unless it overrides them."""

    duration_s: Number = Field(10, gt=0, le=MAX_DURATION_S, description="how long the fault lasts, in seconds")
    baseline_s: Number = Field(3, ge=0, description="probing before the fault, in seconds")
    steady_timeout_s: Number = Field(120, gt=0, description="how long to wait for steady state before a scenario")
    recovery_timeout_s: Number = Field(120, gt=0, description="how long to wait for recovery after a fault")
    http_rate: Number = Field(50, ge=1, le=500, description="HTTP requests per second")
    write_rate: Number = Field(20, ge=1, le=200, description="writes per second per store probe")
    probes: tuple[Annotated[ProbeName, one_of("probe", PROBES)], ...] = PROBES
    rerun_misses: int = Field(
        0, ge=0, le=2,
        description="runs a scenario again when it broke only numeric budgets (failover, the return, failed "
                    "requests), at most this many times; it passes if a rerun is within budget, and every "
                    "attempt stays in the journal and the report. A lost write or a probe that never "
                    "recovered is never rerun.")

    @field_validator("probes")
    @classmethod
    def _probes_once(cls, value: Any) -> Any:
        return _unique_probes(value)


def _unique_probes(probes: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if probes is None:
        return None
    if not probes:
        raise custom_error("empty_probes", f"must list at least one probe: {', '.join(PROBES)}")
    repeated = sorted({p for p in probes if probes.count(p) > 1})
    if repeated:
        raise custom_error("duplicate_probe", f"lists {', '.join(repr(p) for p in repeated)} more than once")
    return probes


Params = Union[tuple(dict.fromkeys(PARAMS_BY_FAULT.values()))]  # type: ignore[valid-type]


def validate_params(value: Any, fault: str | None, target: Target | None) -> Any:
    """A fault's params against that fault's own model, every problem at once; `fault` None when
    the fault itself is missing or wrong (already reported)."""
    value = _none_is_empty(value)
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if fault is None:
        return value  # the fault is missing or wrong and already reported
    model = PARAMS_BY_FAULT[fault]
    if not isinstance(value, dict):
        raise custom_error("params_type", f"must be a mapping of the {fault} fault's parameters, got {describe(value)}")
    allowed = [f.alias or name for name, f in model.model_fields.items()]
    problems: list[Problem] = []
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
        carried = carry(exc)
        for error in carried:  # say what a missing parameter is: the union hides it from `sentence`
            field = model.model_fields.get(str(error["loc"][0])) if len(error["loc"]) == 1 else None
            if error["type"].type == "missing" and field is not None and field.description:
                error["type"] = custom_error("missing", f"is required ({field.description})")
        extra = [InitErrorDetails(type=custom_error(kind, msg), loc=loc, input=v) for loc, kind, msg, v in problems]
        raise ValidationError.from_exception_data(model.__name__, carried + extra) from None
    if problems:
        raise fail(model.__name__, problems)
    if target is not None:
        problems = params.problems_with(target)
        if problems:
            raise fail(model.__name__, problems)
    return params


MAX_ALSO = 2  # faults injected beside the scenario's own: at most three at once


class _WithFaultParams(StrictModel):
    """A fault's `params`, checked against that fault's own model once `fault` and `target` are."""

    @field_validator("params", mode="plain", check_fields=False)
    @classmethod
    def _params_for_fault(cls, value: Any, info: ValidationInfo) -> Any:
        return validate_params(value, info.data.get("fault"), info.data.get("target"))

    def fault_params(self, resolve: Callable[[Target], str] | None = None) -> dict[str, Any]:
        """The params as the fault classes take them: a plain dict (`from` as target strings).
        For a partition with `from`, also `from_services`: the service names those targets name
        now, role targets through `resolve` (e.g. `lambda t: targets.resolve(lab, t.kind, t.name)`)."""
        return self.params.for_fault(resolve) if isinstance(self.params, FaultParams) else dict(self.params)

    @field_serializer("params", check_fields=False)
    def _dump_params(self, params: Any) -> Any:
        return params.model_dump(by_alias=True) if isinstance(params, BaseModel) else params


class AlsoFault(_WithFaultParams):
    """Another fault injected together with the scenario's own (a double fault: both load
    balancers, two of three etcd members, ...), reverted with it."""

    fault: Annotated[FaultName, one_of("fault", FAULTS)] = Field(description=f"one of {', '.join(FAULTS)}")
    target: TargetField = Field(description=f"a role ({', '.join(ROLES)}) or service:<name>")
    params: Params = Field(default_factory=dict, validate_default=True)  # type: ignore[assignment]

    @field_validator("fault")
    @classmethod
    def _not_control(cls, value: str) -> str:
        if value == "none":
            raise custom_error("control_in_also", "cannot be 'none': a fault named in `also` must inject something")
        return value



class Scenario(_WithFaultParams):
    """One fault on one target (or several at once, with `also`), and the budget it must stay within."""

    name: str = Field(description="a slug: lowercase letters, digits and dashes")
    description: str = Field(description="what fails and which mechanism should recover it")
    fault: Annotated[FaultName, one_of("fault", FAULTS)] = Field(description=f"one of {', '.join(FAULTS)}")
    target: TargetField | None = Field(None, description=f"a role ({', '.join(ROLES)}) or service:<name>; "
                                                         "required, except for the control fault 'none'")
    duration_s: Number | None = Field(None, gt=0, le=MAX_DURATION_S)
    probes: tuple[Annotated[ProbeName, one_of("probe", PROBES)], ...] | None = None
    params: Params = Field(default_factory=dict, validate_default=True)  # type: ignore[assignment]
    budget: Budget = Field(
        description="the limits it must stay within: max_failover_s, max_failed_requests, max_lost_writes"
    )
    expect_role_change: StrictBool | None = None
    # Faults injected at the same moment as this one, on other targets, reverted with it.
    also: tuple[AlsoFault, ...] = Field(default=(), max_length=MAX_ALSO)

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
        raise custom_error("bad_name", f"{message}; try '{slug}'" if slug and slug != value else message)

    @field_validator("description")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise custom_error("empty", "must not be empty: say what fails and which mechanism should recover it")
        return value

    @model_validator(mode="after")
    def _target_unless_control(self) -> Scenario:
        if self.target is None and self.fault != "none":
            raise fail("Scenario", [(("target",), "missing",
                                      f"is required for fault '{self.fault}' (a role such as pg-leader, or service:<name>)", None)])
        if self.target is not None and self.fault == "none":
            raise fail("Scenario", [(("target",), "target_on_control",
                                      "must be left out: the control fault 'none' injects nothing into anyone", str(self.target))])
        if self.also and self.fault == "none":
            raise fail("Scenario", [(("also",), "also_on_control",
                                      "must be left out: the control scenario injects nothing", None)])
        seen = {str(self.target): "the scenario's own target"}
        problems: list[Problem] = []
        for i, extra in enumerate(self.also):
            if str(extra.target) in seen:
                problems.append((("also", i, "target"), "same_target",
                                 f"'{extra.target}' is already hit by {seen[str(extra.target)]}; "
                                 "a double fault needs two different targets", str(extra.target)))
            seen.setdefault(str(extra.target), f"also[{i}]")
        if problems:
            raise fail("Scenario", problems)
        return self

    @property
    def faults(self) -> tuple[tuple[str, Target | None], ...]:
        """Every (fault, target) the scenario injects: its own first, then `also`'s."""
        return ((self.fault, self.target), *((a.fault, a.target) for a in self.also))

    def expects_role_change(self) -> bool:
        """`expect_role_change` if set; otherwise true when a disruptive fault hits the holder of a
        role that is handed over to another member (vip-holder, pg-leader, redis-master, ...)."""
        if self.expect_role_change is not None:
            return self.expect_role_change
        if self.also:  # several members down at once: whether anyone takes over is what is tested
            return False
        return (
            self.target is not None
            and self.target.kind == "role"
            and self.target.name in HANDOVER_ROLES
            and self.fault not in DEGRADING_FAULTS
        )


class GameDay(StrictModel):
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
            raise custom_error("empty", "must not be empty")
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
            raise custom_error("empty_scenarios", "must list at least one scenario")
        if isinstance(value, (list, tuple)):
            first_seen: dict[str, int] = {}
            for index, item in enumerate(value):
                name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
                if not isinstance(name, str):
                    continue
                if name in first_seen:
                    duplicates.append(InitErrorDetails(
                        type=custom_error("duplicate_name", (
                            f"duplicate scenario name '{name}': scenarios[{first_seen[name]}] and "
                            f"scenarios[{index}] both use it; names must be unique")),
                        loc=(index, "name"), input=name,
                    ))
                else:
                    first_seen[name] = index
        try:
            scenarios = handler(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data("GameDay", carry(exc) + duplicates) from None
        if duplicates:
            raise ValidationError.from_exception_data("GameDay", duplicates)
        return scenarios

    @model_validator(mode="after")
    def _fill_in_and_check_budgets(self) -> GameDay:
        filled = []
        problems: list[Problem] = []
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
            raise fail("GameDay", problems)
        object.__setattr__(self, "scenarios", tuple(filled))
        return self

    def scenario_names(self) -> list[str]:
        return [s.name for s in self.scenarios]




def select(gameday: GameDay, name: str) -> Scenario:
    """The scenario called `name`; raises ConfigError naming the ones that exist."""
    for scenario in gameday.scenarios:
        if scenario.name == name:
            return scenario
    raise ConfigError(unknown("scenario", name, gameday.scenario_names()).replace(
        f"unknown scenario '{name}';", f"unknown scenario '{name}' in {gameday.source};", 1))
