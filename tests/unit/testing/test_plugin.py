"""The pytest plugin's wiring, in a pytest run of its own (pytester): options and their errors,
and what a test sees and records. The lab is replaced by one that reads a recorded journal; the
real lab runs in tests/integration/test_pytest_plugin.py."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parents[3]
FIXTURE = ROOT / "tests" / "unit" / "chaos" / "fixtures" / "report_journal.json"

# A conftest for the inner run: HalabLab keeps its checks, but starts nothing and reads a journal.
FAKE_LAB = f'''
import pytest
from pathlib import Path
from halab.chaos.journal.outcome import GameDayOutcome
from halab.testing import lab

@pytest.fixture(autouse=True, scope="session")
def _no_docker():
    mp = pytest.MonkeyPatch()
    mp.setattr(lab.HalabLab, "start", lambda self: self)
    mp.setattr(lab.HalabLab, "stop", lambda self: None)
    mp.setattr(lab.HalabLab, "run_gameday",
               lambda self, path=None, scenarios=(): GameDayOutcome.from_journal(Path({str(FIXTURE)!r})))
    yield
    mp.undo()
'''


@pytest.fixture
def outside(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(FAKE_LAB)
    pytester.makeini(f"[pytest]\nhalab_compose = {ROOT / 'docker-compose.yml'}\n")
    return pytester


def test_a_failover_assertion_as_a_team_writes_it_and_its_junit_properties(outside):
    outside.makepyfile(test_team="""
        def test_failover(halab_lab):
            result = halab_lab.run_scenario("pg-leader-kill")
            assert result.failover_s < 10 and result.lost_writes("postgres") == 0

        def test_too_tight(halab_lab):
            assert halab_lab.run_scenario("pg-leader-kill").failover_s < 5
    """)
    result = outside.runpytest_inprocess("--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert 9.141 < 5*"])
    junit = (outside.path / "junit.xml").read_text()
    assert 'name="halab.pg-leader-kill.failover_s" value="9.141"' in junit
    assert 'name="halab.pg-leader-kill.lost_writes.postgres" value="0"' in junit


def test_a_skipped_scenario_skips_the_test_with_the_labs_reason(outside, monkeypatch):
    outside.makeconftest(FAKE_LAB + '''
from halab.testing.lab import ScenarioSkipped

@pytest.fixture(autouse=True)
def _skipped(monkeypatch):
    def skip(self, name, gameday=None):
        raise ScenarioSkipped(name, "tc netem is not available on this machine")
    monkeypatch.setattr(lab.HalabLab, "run_scenario", skip)
''')
    outside.makepyfile(test_team="""
        def test_delay(halab_lab):
            halab_lab.run_scenario("pg-replica-delay")
    """)
    result = outside.runpytest_inprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*scenario 'pg-replica-delay' was skipped: tc netem is not available*"])


@pytest.mark.parametrize("args, message", [
    (["--halab-compose=/nowhere/docker-compose.yml"], "no halab compose file at /nowhere/docker-compose.yml*"),
    (["--halab-profile=fast"], "unknown profile 'fast'; available: stock, tuned"),
    (["--halab-time-factor=slow"], "--halab-time-factor must be a number above 0, not 'slow'"),
    (["--halab-time-factor=0"], "time factor must be above 0, not 0.0"),
    (["--halab-gameday=missing.yaml"], "game-day file missing.yaml not found"),
])
def test_bad_options_are_usage_errors_that_say_what_is_allowed(outside, args, message):
    outside.makepyfile(test_team="def test_x(halab_lab):\n    pass\n")
    result = outside.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_the_plugin_does_nothing_for_tests_that_do_not_ask_for_the_lab(pytester, monkeypatch):
    # halab merely installed: no option given, nothing checked, nothing started.
    monkeypatch.delenv("HALAB_COMPOSE", raising=False)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
