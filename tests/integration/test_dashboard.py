"""`make dashboard` against the real lab: its API (inject a fault, see the role move, halt, steady
state back, the run in a journal and a report), its page in headless Chromium (20 services, a
fault button, the VIP moving, halt, no console error and so no CSP violation), a dashboard killed
mid-fault leaving nothing behind, and requests from another site or Host changing nothing.

The page's screenshots are kept in reports/ for a person to look at."""

from __future__ import annotations

import json
import os
import re
import subprocess

import docker
import pytest
import requests

from halab.lab import topology

from .conftest import ROOT, eventually
from .test_report_browser import browser

pytestmark = pytest.mark.integration

URL = "http://127.0.0.1:8090"
TOKEN = {"value": ""}  # this start's token, from the URL `make dashboard` prints


def start_dashboard() -> str:
    """`make dashboard` as a user runs it; returns the URL it prints (with the token)."""
    out = subprocess.run(["bin/lab", "dashboard"], cwd=ROOT, check=True, text=True, capture_output=True).stdout
    match = re.search(r"^dashboard: open (http://127\.0\.0\.1:8090/\?token=(\S+))$", out, re.M)
    assert match, f"make dashboard printed no URL with a token:\n{out}"
    TOKEN["value"] = match.group(2)
    return match.group(1)


@pytest.fixture(scope="module")
def dashboard(lab):
    start_dashboard()
    yield URL
    subprocess.run(["bin/lab", "dashboard-stop"], cwd=ROOT, check=False)


def get(path: str) -> requests.Response:
    return requests.get(URL + path, timeout=10)


def post(path: str, body: dict | None = None) -> requests.Response:
    return requests.post(URL + path, json=body or {}, timeout=90, headers={"Authorization": f"Bearer {TOKEN['value']}"})


def steady() -> dict | None:
    resp = get("/api/status")
    return resp.json() if resp.status_code == 200 and resp.json()["healthy"] else None


def finished_run(scenario: str) -> dict | None:
    return next((r for r in get("/api/runs").json()["recent"] if r["scenario"] == scenario and r["journal"]), None)


def deadlines_left() -> list[str]:
    return [c.name for c in docker.from_env().containers.list(all=True, filters={"label": "halab.deadline"})]


def test_the_api_injects_a_fault_the_role_moves_halt_ends_it_and_the_lab_is_steady_again(dashboard):
    before = eventually("the lab in steady state, as the dashboard sees it", steady, timeout=120)
    old = before["pg_leader"]

    resp = post("/api/faults", {"scenario": "pg-leader-kill", "duration_s": 120})
    assert resp.status_code == 202, resp.text
    assert resp.json()["target"] == "pg-leader" and "Patroni promotes the synchronous standby" in resp.json()["description"]
    busy = post("/api/faults", {"scenario": "redis-master-kill"})
    assert busy.status_code == 409 and "already running (pg-leader-kill)" in busy.json()["error"]

    new = eventually("a new Postgres leader on the dashboard",
                     lambda: (st := get("/api/status").json()).get("pg_leader") not in (None, old) and st["pg_leader"], timeout=60)
    halted = post("/api/halt")
    assert halted.status_code == 200 and halted.json()["halted"] == ["pg-leader-kill"], halted.text

    run = eventually("the halted fault measured and recorded", lambda: finished_run("pg-leader-kill"), timeout=180)
    journal = json.loads((ROOT / "reports" / run["journal"]).read_text())
    (scenario,) = journal["scenarios"]
    assert scenario["attempt"] == 1, "the dashboard injected its fault again (a rerun of a miss)"
    assert scenario["role_change"]["old_holder"] == old and scenario["role_change"]["new_holder"] == new
    assert scenario["window"]["reverted_at"] - scenario["window"]["injected_at"] < 60  # halt, not the 120 s asked for
    assert (ROOT / "reports" / run["report"]).stat().st_size > 10_000
    assert journal["gameday_file"].startswith("dashboard request ")
    eventually("the lab in steady state after the halt", steady, timeout=180)
    assert deadlines_left() == []


def test_the_page_shows_the_lab_a_fault_button_moves_the_vip_and_halt_ends_it(dashboard):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait as _WebDriverWait

    def WebDriverWait(driver, timeout):  # noqa: N802 - selenium's own name, with one more ignored error
        # The page redraws the service grid on every poll: an element found a moment ago can be
        # replaced before it is read. Reading again is what a person looking at it would do.
        return _WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))

    eventually("the lab in steady state", steady, timeout=180)
    d = browser()
    try:
        d.set_window_size(1700, 1300)
        d.get(URL + "/")  # without the token: the page looks, its buttons do not change anything
        wait = WebDriverWait(d, 60)
        wait.until(lambda d: d.find_element(By.ID, "readonly").is_displayed())
        assert "Read-only" in d.find_element(By.ID, "readonly").text and not d.find_element(By.ID, "halt").is_enabled()
        d.get(start_dashboard())  # the URL make dashboard prints (the dashboard is running: the same token)
        assert d.current_url == URL + "/", "the token stayed in the address bar"
        wait.until(lambda d: d.find_element(By.ID, "halt").is_enabled())
        assert not d.find_element(By.ID, "readonly").is_displayed()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".svc")) == len(topology.ALL_SERVICES))
        # In one script, so a redraw between finding and reading cannot leave a stale element.
        names = set(d.execute_script(
            "return Array.from(document.querySelectorAll('.svc'), e => e.getAttribute('data-service'))"))
        assert names == set(topology.ALL_SERVICES)
        old = wait.until(lambda d: (t := d.find_element(By.ID, "vip-holder").text) in topology.LBS and t)

        d.find_element(By.ID, "preset-vip-holder-kill").click()
        assert "keepalived on the backup" in d.find_element(By.ID, "explain").text  # what it does, before it does it
        duration = d.find_element(By.ID, "duration")
        duration.clear()
        duration.send_keys("60")
        d.find_element(By.ID, "inject").click()
        wait.until(lambda d: d.find_element(By.ID, "message").text.startswith("injected"))
        wait.until(lambda d: d.find_element(By.ID, "vip-holder").text not in (old, "–", "nobody")
                   and d.find_element(By.ID, "vip-holder").text in topology.LBS)
        wait.until(lambda d: "VIP holder" in d.find_element(By.ID, "changes").text)
        d.save_screenshot(str(ROOT / "reports" / "dashboard-fault.png"))
        if os.environ.get("HALAB_PICTURES"):  # `make pictures`: the docs' picture of the dashboard
            d.save_screenshot(str(ROOT / "docs" / "dashboard.png"))

        d.find_element(By.ID, "halt").click()
        WebDriverWait(d, 120).until(lambda d: d.find_element(By.ID, "message").text.startswith("halted"))
        assert "reverted vip-holder-kill" in d.find_element(By.ID, "message").text
        WebDriverWait(d, 180).until(lambda d: "vip-holder-kill" in d.find_element(By.ID, "recent").text
                                    and d.find_element(By.ID, "health").text == "steady state")
        d.save_screenshot(str(ROOT / "reports" / "dashboard-after.png"))
        # A Content-Security-Policy violation is a console error too.
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []

        # The run's report through the dashboard: sandboxed, and it still draws its charts.
        # The recent-runs list is redrawn on every poll too: a link found a moment ago may be gone.
        WebDriverWait(d, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#recent a").click() or True)
        WebDriverWait(d, 30).until(lambda d: len(d.window_handles) > 1)  # it opens in a tab of its own
        d.switch_to.window(d.window_handles[-1])
        WebDriverWait(d, 30).until(lambda d: d.execute_script("return document.documentElement.getAttribute('data-charts-rendered')"))
        assert "/reports/" in d.current_url
        assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        d.quit()


def test_a_dashboard_killed_mid_fault_leaves_nothing_behind_the_faults_deadline_heals_it(dashboard):
    eventually("the lab in steady state", steady, timeout=180)
    resp = post("/api/faults", {"fault": "kill", "target": "service:app3", "duration_s": 5})
    assert resp.status_code == 202, resp.text
    client = docker.from_env()
    app3 = lambda: client.containers.get("halab-app3-1")  # noqa: E731
    eventually("app3 killed by the dashboard", lambda: app3().status == "exited", timeout=60)
    client.containers.get("halab-dashboard-1").kill()  # SIGKILL: no clean-up runs
    # Its watchdog fires after the baseline, the 5 s and its 15 s grace, and starts app3 again.
    eventually("app3 started again by the fault's own deadline", lambda: app3().status == "running", timeout=60)
    eventually("the watchdog gone once it healed", lambda: deadlines_left() == [], timeout=20)
    old_token = TOKEN["value"]
    start_dashboard()  # for whatever runs next
    assert TOKEN["value"] != old_token, "a new start kept the old token"
    eventually("the lab in steady state", steady, timeout=180)


def test_a_game_day_that_make_chaos_runs_shows_on_the_dashboard_and_halt_interrupts_it(dashboard):
    eventually("the lab in steady state", steady, timeout=180)
    proc = subprocess.Popen(["bin/lab", "chaos"], cwd=ROOT, env={**os.environ, "SCENARIO": "redis-master-kill"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        shown = eventually("make chaos's scenario on the dashboard",
                           lambda: (g := get("/api/runs").json()["game_day"]) and g["phase"] == "fault active" and g, timeout=120)
        assert shown["source"] == "make chaos" and shown["scenario"] == "redis-master-kill" and shown["probes"]
        busy = post("/api/faults", {"scenario": "app-replica-kill"})
        assert busy.status_code == 409 and "(make chaos)" in busy.json()["error"]

        halted = post("/api/halt")
        assert halted.status_code == 200 and len(halted.json()["interrupted"]) == 1, halted.text
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 130, out
        assert "interrupted: every injected fault was reverted" in out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert get("/api/runs").json()["game_day"] is None
    eventually("the lab in steady state after the halt", steady, timeout=180)


def test_another_site_or_host_changes_nothing_in_the_lab(dashboard):
    """The issue's reproduction, against the real dashboard and lab: a page on another site sends
    a text/plain POST (no preflight needed) and a JSON one; a rebound name reads the status."""
    eventually("the lab in steady state", steady, timeout=180)
    client = docker.from_env()
    before = {c.name: (c.status, c.attrs["State"]["StartedAt"]) for c in client.containers.list(all=True)}
    runs_before = sorted(p.name for p in (ROOT / "reports").iterdir())
    attacks = [
        (dict(data='{"scenario":"app-replica-kill","duration_s":5}', headers={"Content-Type": "text/plain", "Origin": "http://attacker.example"}), 403),
        (dict(json={"scenario": "app-replica-kill", "duration_s": 5}, headers={"Origin": "http://attacker.example"}), 403),
        (dict(json={"scenario": "app-replica-kill"}, headers={"Host": "attacker.example:8090"}), 421),
        (dict(data='{"scenario":"app-replica-kill"}', headers={"Content-Type": "text/plain"}), 415),
        (dict(json={"scenario": "app-replica-kill"}), 401),  # from this machine, without the token
    ]
    for kwargs, code in attacks:
        for path in ("/api/faults", "/api/halt"):
            resp = requests.post(URL + path, timeout=10, **kwargs)
            assert resp.status_code == code, (kwargs, resp.text)
            assert resp.headers["content-type"] == "application/json" and resp.json()["error"]
    rebound = requests.get(URL + "/api/status", headers={"Host": "attacker.example:8090"}, timeout=10)
    assert rebound.status_code == 421 and "allowed hosts: 127.0.0.1:8090" in rebound.json()["error"]
    assert "healthy" not in rebound.text

    assert get("/api/runs").json()["active"] == []
    assert sorted(p.name for p in (ROOT / "reports").iterdir()) == runs_before, "a refused request recorded a run"
    after = {c.name: (c.status, c.attrs["State"]["StartedAt"]) for c in client.containers.list(all=True)}
    assert after == before, "a refused request changed a container"
    assert deadlines_left() == []
