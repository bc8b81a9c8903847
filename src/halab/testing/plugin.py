"""halab's pytest plugin (entry point `pytest11`): failover assertions in another project's tests.

    def test_failover(halab_lab):
        result = halab_lab.run_scenario("pg-leader-kill")
        assert result.failover_s < 10 and result.lost_writes("postgres") == 0

`halab_lab` brings the lab up once per session (testcontainers' DockerCompose), or reuses one that
already runs and then leaves it running. Each scenario a test runs is recorded on the test as
JUnit properties (failover, failed requests, lost writes, report), so `pytest --junitxml` shows them.

Options (command line, or the same names in the ini file without the dashes):
  --halab-compose PATH        docker-compose.yml of a halab checkout (env HALAB_COMPOSE)
  --halab-gameday PATH        game-day file scenarios are taken from (default: the checkout's default)
  --halab-profile NAME        tuned (default) or stock
  --halab-time-factor F       how much longer start-up may take on a slow runner (default 1)
  --halab-keep                leave a lab this session started running at the end
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from halab.lab import home
from halab.testing.lab import HalabLab, HalabLabError, ScenarioSkipped

OPTIONS = {
    "halab_compose": "docker-compose.yml of a halab checkout (default: $HALAB_COMPOSE, else the clone halab runs from, else the lab its wheel carries)",
    "halab_gameday": "game-day file the scenarios are taken from (default: the checkout's gamedays/default.yaml)",
    "halab_profile": "failover timers the lab is started with: tuned (default) or stock",
    "halab_time_factor": "how much longer start-up may take on a slow machine (default 1); budgets are your asserts",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("halab", "halab: failover tests against a real HA lab")
    for name, help_text in OPTIONS.items():
        group.addoption("--" + name.replace("_", "-"), dest=name, default=None, help=help_text)
        parser.addini(name, help_text)
    group.addoption("--halab-keep", dest="halab_keep", action="store_true", default=False,
                    help="leave a lab this session brought up running at the end")


LAB = pytest.StashKey[HalabLab]()


def pytest_configure(config: pytest.Config) -> None:
    # Options given are checked at once, as usage errors; a session that names none (halab merely
    # installed) is not touched until a test asks for the lab.
    if any(_option(config, name) for name in OPTIONS):
        config.stash[LAB] = lab_from_config(config)


def _option(config: pytest.Config, name: str) -> str | None:
    return config.getoption(name) or config.getini(name) or None


def _default_compose() -> Path:
    """$HALAB_COMPOSE; else the clone halab runs from; else the lab the wheel carries, unpacked
    (`halab home`)."""
    if os.environ.get("HALAB_COMPOSE"):
        return Path(os.environ["HALAB_COMPOSE"])
    try:
        return home.home() / "docker-compose.yml"
    except home.NoLabHome as e:
        raise pytest.UsageError(str(e)) from None


def lab_from_config(config: pytest.Config) -> HalabLab:
    compose = _option(config, "halab_compose")
    gameday = _option(config, "halab_gameday")
    factor = _option(config, "halab_time_factor") or "1"
    try:
        time_factor = float(factor)
    except ValueError:
        raise pytest.UsageError(f"--halab-time-factor must be a number above 0, not '{factor}'") from None
    try:
        return HalabLab(Path(compose) if compose else _default_compose(),
                        gameday=Path(gameday) if gameday else None,
                        profile=_option(config, "halab_profile") or "tuned",
                        time_factor=time_factor)
    except HalabLabError as e:
        raise pytest.UsageError(str(e)) from None


@pytest.fixture(scope="session")
def halab_lab_session(pytestconfig: pytest.Config) -> Iterator[HalabLab]:
    """The lab, up and in steady state, for the whole session."""
    try:
        lab = pytestconfig.stash[LAB] if LAB in pytestconfig.stash else lab_from_config(pytestconfig)
    except pytest.UsageError as e:
        pytest.fail(f"halab: {e}", pytrace=False)
    try:
        lab.start()
    except HalabLabError as e:
        lab.stop()
        pytest.fail(f"halab: the lab did not come up: {e}", pytrace=False)
    try:
        yield lab
    finally:
        if not pytestconfig.getoption("halab_keep"):
            lab.stop()


class RecordingLab:
    """`halab_lab` as a test sees it: the session's lab, recording each outcome on the test."""

    def __init__(self, lab: HalabLab, node: pytest.Item) -> None:
        self._lab, self._node = lab, node

    def __getattr__(self, name: str):
        return getattr(self._lab, name)

    def run_scenario(self, name: str, gameday: Path | str | None = None):
        try:
            outcome = self._lab.run_scenario(name, gameday)
        except ScenarioSkipped as e:
            pytest.skip(f"halab: {e}")
        self._record(outcome)
        return outcome

    def run_gameday(self, path: Path | str | None = None, **kwargs):
        result = self._lab.run_gameday(path, **kwargs)
        for outcome in result.scenarios:
            self._record(outcome)
        return result

    def _record(self, outcome) -> None:
        prefix = f"halab.{outcome.name}"
        self._node.user_properties += [
            (f"{prefix}.verdict", outcome.verdict),
            (f"{prefix}.failover_s", outcome.failover_s),
            (f"{prefix}.requests_failed", outcome.requests_failed),
            *((f"{prefix}.lost_writes.{store}", "inconclusive" if w.lost is None else w.lost)
              for store, w in sorted(outcome.writes.items())),
            (f"{prefix}.report", str(outcome.report_path)),
        ]


@pytest.fixture
def halab_lab(halab_lab_session: HalabLab, request: pytest.FixtureRequest) -> RecordingLab:
    """Runs scenarios on the session's lab: `run_scenario(name)`, `run_gameday(path)`, `status()`."""
    return RecordingLab(halab_lab_session, request.node)
