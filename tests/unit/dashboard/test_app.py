"""The dashboard's HTTP API through Starlette's TestClient, on the fake lab: JSON in and out, 4xx
JSON errors that name what is allowed, and the page and its files served by the app itself."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from halab.dashboard.app import ENDPOINTS, create_app
from halab.dashboard.guard import Guard
from halab.dashboard.watch import LabWatcher

STATUS = {"healthy": True, "problems": [], "vip": "10.77.0.10", "vip_holder": "lb1", "pg_leader": "pg1"}


@pytest.fixture
def watcher() -> LabWatcher:
    return LabWatcher(collect=lambda: SimpleNamespace(to_json=lambda: dict(STATUS)), lab_is_up=lambda: True)


@pytest.fixture
def guard() -> Guard:
    return Guard(port=8090)


def as_the_user(app, guard: Guard, **kwargs) -> TestClient:
    """A client as the person at the keyboard: the dashboard's own host, and this start's token
    (the guard's refusals are test_guard.py's)."""
    return TestClient(app, base_url="http://127.0.0.1:8090", headers={"Authorization": f"Bearer {guard.token}"}, **kwargs)


@pytest.fixture
def client(watcher, controller, guard):
    with as_the_user(create_app(watcher, controller, guard, start_watcher=False), guard) as c:
        yield c


def test_status_is_503_until_the_first_look_then_the_fields_of_make_status_json(client, watcher):
    assert client.get("/api/status").status_code == 503
    watcher.look()
    assert client.get("/api/status").json() == STATUS


def test_a_lab_that_is_down_is_not_asked_anything(controller):
    asked = []
    watcher = LabWatcher(collect=lambda: asked.append(1), lab_is_up=lambda: False)
    watcher.look()
    assert asked == [] and watcher.latest is None and "the lab is down" in watcher.error


def test_the_catalogue_lists_the_presets_faults_and_targets(client):
    cat = client.get("/api/catalogue").json()
    assert [p["name"] for p in cat["presets"]] == ["app-kill", "pg-leader-kill"]  # the control is not a button
    assert {"kill", "pause", "partition"} <= {f["name"] for f in cat["faults"]} and "none" not in {f["name"] for f in cat["faults"]}
    assert "pg-leader" in {r["name"] for r in cat["roles"]} and "service:pg1" in cat["services"]


def test_a_fault_is_accepted_with_202_and_a_second_one_gets_409(client, fake_lab):
    fake_lab.steady.clear()  # keep the first one waiting for steady state
    first = client.post("/api/faults", json={"scenario": "app-kill", "duration_s": 5})
    assert first.status_code == 202
    assert first.json()["scenario"] == "app-kill" and first.json()["duration_s"] == 5 and first.json()["target"] == "app"
    second = client.post("/api/faults", json={"scenario": "pg-leader-kill"})
    assert second.status_code == 409 and "already running (app-kill)" in second.json()["error"]
    assert client.get("/api/runs").json()["active"][0]["scenario"] == "app-kill"
    halted = client.post("/api/halt", json={})
    assert halted.status_code == 200 and halted.json()["halted"] == ["app-kill"]



def test_halt_whose_heal_fails_still_ends_the_faults_and_says_what_to_do_in_json(client, controller, fake_lab):
    import docker.errors

    def heal(lab):  # what CI saw: a one-off container removed between docker's list and inspect
        raise docker.errors.NotFound("No such container: 0123456789ab")

    controller.hooks.heal = heal
    fake_lab.steady.clear()
    assert client.post("/api/faults", json={"scenario": "app-kill"}).status_code == 202
    halted = client.post("/api/halt", json={})
    assert halted.status_code == 500 and halted.json()["halted"] == ["app-kill"]
    assert "healing the lab failed (No such container: 0123456789ab); run 'make heal'" in halted.json()["error"]


def test_an_unexpected_failure_under_api_is_json_naming_it(controller, watcher, guard):
    def broken():
        raise RuntimeError("the Docker socket went away")

    controller.snapshot = broken
    with as_the_user(create_app(watcher, controller, guard, start_watcher=False), guard, raise_server_exceptions=False) as c:
        answer = c.get("/api/runs")
    assert answer.status_code == 500
    assert answer.json()["error"] == "the dashboard failed on GET /api/runs: RuntimeError('the Docker socket went away')"

@pytest.mark.parametrize("body, says", [
    ({"fault": "kil", "target": "pg-leader"}, "fault: unknown fault 'kil'; available: kill, stop"),
    ({"scenario": "pg-leader-kil"}, "unknown scenario 'pg-leader-kil'; available: app-kill, pg-leader-kill; did you mean 'pg-leader-kill'?"),
    ({"scenario": "app-kill", "duration_s": 301}, "duration_s: must be at most 300"),
    ({"scenario": "app-kill", "fault": "kill"}, "either a scenario (a preset) or a fault and a target, not both"),
    ({"scenario": "app-kill", "colour": "red"}, "unknown key 'colour'; available: scenario, fault, target, params, duration_s, double"),
    ({"fault": "partition", "target": "pg-leader", "params": {"form": ["app"]}}, "params.form: unknown key 'form' for fault 'partition'"),
    ([1, 2], "the fault request must be a JSON object"),
    ({}, "say what to inject: a scenario (one of app-kill, pg-leader-kill) or a fault and a target"),
])
def test_a_bad_fault_request_gets_400_naming_what_is_wrong_and_what_is_allowed(client, fake_lab, body, says):
    resp = client.post("/api/faults", json=body)
    assert resp.status_code == 400, resp.text
    assert says in resp.json()["error"] and resp.json()["problems"]
    assert fake_lab.injected == []


def test_a_body_that_is_not_json_gets_400(client):
    resp = client.post("/api/faults", content=b"kill pg-leader", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"].startswith("the body must be a JSON object")


def test_unknown_endpoints_and_methods_get_json_errors_listing_the_api(client):
    for method, path, code in (("GET", "/api/nope", 404), ("DELETE", "/api/halt", 405), ("GET", "/api/faults", 405)):
        resp = client.request(method, path, headers={"Content-Type": "application/json"})
        assert resp.status_code == code and all(e in resp.json()["error"] for e in ENDPOINTS)


def test_the_page_and_its_files_come_from_the_dashboard_itself(client):
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/dashboard.js"' in page.text and "https://" not in page.text
    assert client.get("/static/dashboard.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/../app.py").status_code == 404
    uplot = client.get("/vendor/uplot.js")
    assert uplot.status_code == 200 and "uPlot" in uplot.text


def test_the_event_stream_sends_a_tick_with_the_lab_and_the_runs(client, watcher):
    watcher.look()
    with client.stream("GET", "/api/events") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in resp.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert "event: tick" in lines
    import json

    tick = json.loads(lines[-1].removeprefix("data:").strip())
    assert tick["lab"]["status"] == STATUS and tick["runs"] == {"active": [], "recent": [], "game_day": None}
