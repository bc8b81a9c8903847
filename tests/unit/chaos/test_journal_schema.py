"""The journal's schema (halab.chaos.journal.schema): what the store writes is what it defines,
old journals still load, and a journal this halab cannot read is refused with a sentence."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from halab.chaos.journal import outcome, schema, store
from tests.unit.chaos.test_runner import World, game_day

FIXTURE = Path(__file__).parent / "fixtures" / "report_journal.json"


@pytest.fixture
def written(tmp_path) -> Path:
    world = World()
    runner = game_day(world)
    runner.run(runner.gameday.scenarios)
    journal = store.build(run_id="r1", title="t", file="f", started=datetime.now(timezone.utc), status="completed",
                          knobs={}, results=runner.progress.results, t0_unix=1000.0)
    return store.write(journal, tmp_path)


def test_the_store_writes_the_schema_and_its_version(written):
    data = json.loads(written.read_text())
    assert data["schema_version"] == schema.SCHEMA_VERSION
    journal = schema.load(written)
    assert journal.dump() == data  # nothing the schema does not define, nothing lost on the way back
    assert journal.summary.passed + journal.summary.fail + journal.summary.skipped == len(journal.scenarios) > 0
    assert data["summary"].keys() == {"pass", "fail", "skipped", "passed_on_rerun"}  # the file's own words


def test_a_journal_from_before_the_version_loads_as_version_1():
    data = json.loads(FIXTURE.read_text())
    assert "schema_version" not in data
    journal = schema.load(FIXTURE)
    assert journal.schema_version == 1 and journal.run_id == data["run_id"]
    first = journal.scenarios[0]
    assert first.failover_s == data["scenarios"][0]["failover_s"] and first.measured
    # Fields added since are their defaults, and the views can tell a missing figure from "never".
    assert first.attempt == 1 and first.earlier_attempts == []
    assert first.has_send_side_figure == ("new_requests_ok_s" in data["scenarios"][0])
    # The pytest plugin's outcome reads it too.
    assert outcome.GameDayOutcome.from_journal(FIXTURE).scenario(first.name).failover_s == first.failover_s


def test_a_journal_from_a_newer_halab_is_refused_naming_both_versions(tmp_path):
    path = tmp_path / "journal.json"
    path.write_text(json.dumps({**json.loads(FIXTURE.read_text()), "schema_version": schema.SCHEMA_VERSION + 1}))
    with pytest.raises(schema.JournalError) as e:
        schema.load(path)
    assert f"schema version {schema.SCHEMA_VERSION + 1}" in str(e.value) and f"versions 1 to {schema.SCHEMA_VERSION}" in str(e.value)


@pytest.mark.parametrize("data, says", [
    ([], "it has no run_id or scenarios"),
    ({"run_id": "r", "scenarios": {}}, "it has no list of scenarios"),
    ({"run_id": "r", "scenarios": [{"name": "x", "fault": "kill", "verdict": "pass", "failover_s": "soon"}]},
     "scenarios[0].failover_s: Input should be a valid number"),
    ({"run_id": "r", "schema_version": True, "scenarios": []}, "schema version True"),
])
def test_what_is_not_a_journal_gets_one_sentence(tmp_path, data, says):
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(data))
    with pytest.raises(schema.JournalError) as e:
        schema.load(path)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_a_scenario_without_measures_is_not_measured_and_never_never_recovered():
    skipped = schema.Scenario(name="s", fault="delay", verdict="skipped", measures=None)
    assert not skipped.measured and not skipped.never_recovered
    stuck = schema.Scenario.model_validate({"name": "s", "fault": "kill", "verdict": "fail", "failover_s": None,
                                            "measures": {"injected_at": 1.0, "run_end": 9.0}})
    assert stuck.measured and stuck.never_recovered
