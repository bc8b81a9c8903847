"""halab for other projects' tests: the lab as a fixture (`HalabLab`) and the pytest plugin."""

from halab.chaos.journal.outcome import GameDayOutcome, ScenarioOutcome
from halab.testing.lab import HalabLab, HalabLabError, ScenarioSkipped

__all__ = ["GameDayOutcome", "HalabLab", "HalabLabError", "ScenarioOutcome", "ScenarioSkipped"]
