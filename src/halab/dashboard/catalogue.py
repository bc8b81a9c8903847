"""What a trainer may inject from the dashboard, and how a request becomes a scenario.

The presets are the scenarios of a game day (the default one unless the dashboard was started
with another): each already says what fails and what should recover it, and carries its budget.
A custom fault is any fault of the registry on any role or service; it borrows the description
and budget of the preset that hits the same target with the same fault, if there is one.

A request is turned into a one-scenario game day and validated by the same models as a game-day
file, so it gets the same sentences ("fault: unknown fault 'kil'; did you mean 'kill'?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from halab.chaos.engine import faults
from halab.chaos.errors import ConfigError
from halab.chaos.gameday import GameDay, parse_gameday
from halab.chaos.gameday.vocabulary import MAX_DURATION_S, SERVICES
from halab.chaos.schema import unknown
from halab.lab import tiers

REQUEST_KEYS = ("scenario", "fault", "target", "params", "duration_s", "double")
_SOURCE = "the fault request"


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").split())
    return text.split(". ")[0].rstrip(".") + "." if text else ""


@dataclass(frozen=True)
class Catalogue:
    """The presets of one game day, and the faults and targets a custom fault may name."""

    gameday: GameDay

    def presets(self) -> list[dict]:
        return [{"name": s.name, "description": " ".join(s.description.split()), "fault": s.fault,
                 "target": str(s.target) if s.target else None, "duration_s": s.duration_s,
                 "expects_role_change": s.expects_role_change()}
                for s in self.gameday.scenarios if s.fault != "none"]

    def to_json(self) -> dict:
        return {
            "gameday": self.gameday.title,
            "presets": self.presets(),
            "faults": [{"name": name, "what": _first_sentence(cls.__doc__),
                        "params": [f.alias or n for n, f in cls.params_model.model_fields.items()]}
                       for name, cls in faults.FAULTS.items() if name != "none"],
            "roles": [{"name": r.name, "group": r.tier, "label": r.label, "status_key": r.status_key, "hands_over": r.hands_over,
                       "leads": r.leads, "mechanism": r.mechanism} for r in tiers.ROLES.values()],
            "tiers": [{"name": t.name, "label": t.label, "pattern": t.pattern, "members": list(t.members), "needed": t.needed}
                      for t in tiers.TIERS.values()],
            "services": [f"service:{s}" for s in SERVICES],
            "max_duration_s": MAX_DURATION_S,
        }

    def _preset_like(self, fault: str, target: str) -> Any:
        return next((s for s in self.gameday.scenarios if s.fault == fault and str(s.target) == target), None)

    def scenario_for(self, request: Any) -> GameDay:
        """The one-scenario game day a request asks for; ConfigError naming every problem."""
        if not isinstance(request, dict):
            raise ConfigError("the fault request must be a JSON object, e.g. "
                              '{"scenario": "pg-leader-kill"} or {"fault": "kill", "target": "pg-leader", "duration_s": 10}')
        problems = [unknown("key", str(k), REQUEST_KEYS) for k in request if k not in REQUEST_KEYS]
        if problems:
            raise ConfigError(problems, heading="invalid fault request")
        preset_name, fault = request.get("scenario"), request.get("fault")
        if preset_name is not None and (fault is not None or request.get("target") is not None):
            raise ConfigError("give either a scenario (a preset) or a fault and a target, not both")
        if preset_name is None and fault is None:
            raise ConfigError("say what to inject: a scenario (one of "
                              f"{', '.join(p['name'] for p in self.presets())}) or a fault and a target")
        if preset_name is not None:
            scenario = self._preset(preset_name)
        else:
            scenario = self._custom(fault, request.get("target"), request.get("params"))
        if request.get("duration_s") is not None:
            scenario["duration_s"] = request["duration_s"]
        # One click injects one fault. A miss is shown, never run again behind the person's back:
        # a rerun would inject a second fault nobody asked for (and one that a halt had ended
        # would come back with no hold at all).
        defaults = {**self.gameday.defaults.model_dump(mode="json"), "rerun_misses": 0}
        text = yaml.safe_dump({"title": f"dashboard: {scenario.get('name')}",
                               "defaults": defaults,
                               "scenarios": [scenario]}, sort_keys=False)
        try:
            return parse_gameday(text, source=_SOURCE)
        except ConfigError as e:
            # The request's own terms: `fault`, not `scenarios[0].fault (line 12)`.
            raise ConfigError([re.sub(r" \(line \d+\)$", "", p.replace("scenarios[0].", "", 1)) for p in e.problems],
                              heading="invalid fault request") from None

    def _preset(self, name: Any) -> dict:
        found = next((s for s in self.gameday.scenarios if s.name == name and s.fault != "none"), None)
        if found is None:
            raise ConfigError(unknown("scenario", str(name), [p["name"] for p in self.presets()]))
        return found.model_dump(mode="json", exclude_none=True)

    def _custom(self, fault: Any, target: Any, params: Any) -> dict:
        like = self._preset_like(str(fault), str(target)) if isinstance(fault, str) and isinstance(target, str) else None
        cls = faults.FAULTS.get(fault) if isinstance(fault, str) else None
        what = _first_sentence(cls.__doc__) if cls else ""
        same_target = next((s for s in self.gameday.scenarios if str(s.target) == str(target)), None)
        if like:
            description = " ".join(like.description.split())
        elif same_target:
            description = (f"{what} Target: {target}. The mechanism that recovers {same_target.name} should act here too: "
                           + " ".join(same_target.description.split()))
        else:
            description = f"{what} Target: {target}. With no single point of failure, clients should keep being served."
        slug = re.sub(r"[^a-z0-9]+", "-", f"{fault}-{target}".lower()).strip("-")[:64] or "fault"
        return {
            "name": like.name if like else slug,
            "description": description,
            "fault": fault,
            "target": target,
            "params": params if params is not None else {},
            "budget": like.budget.model_dump(mode="json", exclude_none=True) if like else {},
        }
