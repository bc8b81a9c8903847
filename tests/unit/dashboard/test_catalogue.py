"""What the dashboard offers and how a request becomes a one-scenario game day."""

from __future__ import annotations


def test_presets_are_the_game_days_scenarios_that_inject_something(catalogue):
    presets = {p["name"]: p for p in catalogue.presets()}
    assert list(presets) == ["app-kill", "pg-leader-kill"]
    assert presets["pg-leader-kill"] == {"name": "pg-leader-kill", "fault": "kill", "target": "pg-leader", "duration_s": 0.5,
                                         "description": "The Postgres primary is killed; Patroni promotes the synchronous standby.",
                                         "expects_role_change": True}


def test_a_preset_keeps_its_budget_and_takes_the_requested_duration(catalogue):
    (sc,) = catalogue.scenario_for({"scenario": "app-kill", "duration_s": 20}).scenarios
    assert (sc.name, sc.fault, str(sc.target), sc.duration_s, sc.budget.max_failed_requests) == ("app-kill", "kill", "app", 20, 3)


def test_a_custom_fault_without_a_preset_explains_itself_and_is_measured_without_a_budget(catalogue):
    (sc,) = catalogue.scenario_for({"fault": "pause", "target": "service:etcd2"}).scenarios
    assert sc.name == "pause-service-etcd2" and sc.duration_s == 0.3  # the game day's default
    assert sc.description.startswith("Freeze every process (cgroup freezer): the gray failure.")
    assert sc.budget.max_failover_s is None and sc.budget.max_failed_requests is None


def test_a_custom_fault_on_a_presets_target_says_which_mechanism_should_act(catalogue):
    (sc,) = catalogue.scenario_for({"fault": "pause", "target": "pg-leader"}).scenarios
    assert "The mechanism that recovers pg-leader-kill should act here too: The Postgres primary is killed" in sc.description
