"""The dashboard obeys only the person at the keyboard: each of the guard's refusals on the real
app (Starlette's TestClient, the fake lab), with the status and the sentence a person reads, and
nothing injected by a refused request."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from halab.dashboard.app import create_app
from halab.dashboard.guard import Guard, parse_hosts
from halab.dashboard.watch import LabWatcher

OWN = "http://127.0.0.1:8090"
INJECT = {"scenario": "app-kill", "duration_s": 5}


@pytest.fixture
def guard() -> Guard:
    return Guard(port=8090, listen_port=8090)


@pytest.fixture
def app(controller, guard):
    watcher = LabWatcher(collect=lambda: SimpleNamespace(to_json=lambda: {"healthy": True}), lab_is_up=lambda: True)
    watcher.look()
    return create_app(watcher, controller, guard, start_watcher=False)


@pytest.fixture
def browser(app):
    """A browser on the dashboard's own page, holding no token yet."""
    with TestClient(app, base_url=OWN) as c:
        yield c


def bearer(guard: Guard) -> dict:
    return {"Authorization": f"Bearer {guard.token}"}


# -- Host: DNS rebinding -------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["attacker.example:8090", "attacker.example", "127.0.0.1.nip.io:8090", "127.0.0.1:9999",
                                  "10.77.0.5:8090", "127.0.0.1:80x"])
def test_a_foreign_host_gets_421_naming_the_hosts_allowed_and_injects_nothing(browser, guard, fake_lab, host):
    status = browser.get("/api/status", headers={"Host": host})
    assert status.status_code == 421
    assert f"does not answer to Host '{host}'" in status.json()["error"]
    assert "allowed hosts: 127.0.0.1:8090, localhost:8090, [::1]:8090" in status.json()["error"]
    refused = browser.post("/api/faults", json=INJECT, headers={"Host": host, **bearer(guard)})
    assert refused.status_code == 421 and fake_lab.injected == []
    assert browser.get("/", headers={"Host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8090", "localhost:8090", "LOCALHOST:8090", "[::1]:8090"])
def test_the_loopback_names_with_the_dashboards_port_are_answered(browser, host):
    assert browser.get("/api/status", headers={"Host": host}).status_code == 200


def test_the_port_inside_the_container_is_answered_on_loopback_for_its_health_check(controller):
    guard = Guard(port=9000, listen_port=8090)
    with TestClient(create_app(LabWatcher(), controller, guard, start_watcher=False), base_url="http://127.0.0.1:8090") as c:
        assert c.get("/api/catalogue").status_code == 200
    assert "127.0.0.1:9000" in guard.hosts and "http://127.0.0.1:9000" in guard.origins


def test_hosts_a_trainer_adds_are_answered_and_take_the_dashboards_port_unless_they_name_one(controller):
    guard = Guard(port=8090, extra_hosts=parse_hosts("192.168.1.20, trainer.local:80"))
    assert guard.hosts[-2:] == ("192.168.1.20:8090", "trainer.local:80")
    with TestClient(create_app(LabWatcher(), controller, guard, start_watcher=False), base_url="http://192.168.1.20:8090") as c:
        assert c.get("/api/catalogue").status_code == 200
        assert c.get("/api/catalogue", headers={"Host": "trainer.local"}).status_code == 200  # port 80 is implied
        assert c.get("/api/catalogue", headers={"Host": "192.168.1.21:8090"}).status_code == 421
        ok = c.post("/api/faults", json=INJECT, headers={"Origin": "http://trainer.local", **bearer(guard)})
        assert ok.status_code == 202, ok.text
    assert guard.urls() == [f"http://127.0.0.1:8090/?token={guard.token}", f"http://192.168.1.20:8090/?token={guard.token}",
                            f"http://trainer.local:80/?token={guard.token}"]


@pytest.mark.parametrize("value, says", [
    ("http://192.168.1.20/", "'http://192.168.1.20/' is not a host name or address"),
    ("host:port", "'host:port' has a port that is not a number"),
    ("user@host", "'user@host' is not a host name or address"),
])
def test_a_host_list_that_cannot_be_hosts_is_refused_naming_the_entry(value, says):
    with pytest.raises(ValueError, match=says):
        parse_hosts(value)


def test_an_empty_host_list_adds_nothing():
    assert parse_hosts("") == [] and parse_hosts(None) == [] and parse_hosts(" a , b ") == ["a", "b"]


# -- Origin and content type: cross-site requests ------------------------------------------------
def test_the_cross_site_text_plain_post_that_injected_a_fault_now_gets_403_and_injects_nothing(browser, fake_lab):
    # The reproduction: a "simple" request any page can send without a preflight.
    resp = browser.post("/api/faults", content=b'{"scenario":"app-replica-kill","duration_s":5}',
                        headers={"Content-Type": "text/plain", "Origin": "http://attacker.example"})
    assert resp.status_code == 403 and resp.headers["content-type"] == "application/json"
    assert "a request from origin 'http://attacker.example' is refused" in resp.json()["error"]
    assert browser.get("/api/runs").json()["active"] == [] and fake_lab.injected == []


@pytest.mark.parametrize("origin", ["http://attacker.example", "http://127.0.0.1:3000", "https://127.0.0.1:8090", "null"])
def test_a_foreign_origin_gets_403_even_with_json_and_the_token(browser, guard, fake_lab, origin):
    for path, body in (("/api/faults", INJECT), ("/api/halt", {})):
        resp = browser.post(path, json=body, headers={"Origin": origin, **bearer(guard)})
        assert resp.status_code == 403 and f"origin '{origin}'" in resp.json()["error"]
        assert "allowed origins: http://127.0.0.1:8090" in resp.json()["error"]
    assert fake_lab.injected == [] and fake_lab.healed == 0


def test_without_origin_a_foreign_referer_gets_403_and_the_dashboards_own_is_accepted(browser, guard, fake_lab):
    foreign = browser.post("/api/faults", json=INJECT, headers={"Referer": "http://attacker.example/page", **bearer(guard)})
    assert foreign.status_code == 403 and "a page on 'http://attacker.example' is refused" in foreign.json()["error"]
    own = browser.post("/api/faults", json=INJECT, headers={"Referer": f"{OWN}/", **bearer(guard)})
    assert own.status_code == 202, own.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_change_that_is_not_json_gets_415_naming_the_type_needed(browser, guard, fake_lab, content_type):
    headers = {**bearer(guard), **({"Content-Type": content_type} if content_type else {})}
    resp = browser.post("/api/faults", content=b'{"scenario":"app-kill"}', headers=headers)
    assert resp.status_code == 415 and "Content-Type 'application/json'" in resp.json()["error"]
    assert fake_lab.injected == []


def test_json_with_a_charset_and_the_own_origin_is_accepted(browser, guard):
    resp = browser.post("/api/faults", content=b'{"scenario":"app-kill"}',
                        headers={"Content-Type": "application/json; charset=utf-8", "Origin": OWN, **bearer(guard)})
    assert resp.status_code == 202, resp.text


def test_another_site_cannot_read_the_api_or_the_event_stream(browser):
    for path in ("/api/status", "/api/events", "/api/session"):
        resp = browser.get(path, headers={"Origin": "http://attacker.example"})
        assert resp.status_code == 403 and "access-control-allow-origin" not in resp.headers
    assert "access-control-allow-origin" not in browser.get("/api/status").headers  # no CORS grant to anyone


# -- the token ------------------------------------------------------------------------------------
def test_a_change_without_the_token_gets_401_saying_where_the_token_is(browser, fake_lab):
    resp = browser.post("/api/faults", json=INJECT, headers={"Origin": OWN})
    assert resp.status_code == 401
    assert "carries no token: open the URL that `make dashboard` prints" in resp.json()["error"]
    assert browser.post("/api/halt", json={}).status_code == 401
    assert fake_lab.injected == [] and fake_lab.healed == 0


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer nope"}, {"Cookie": "halab_dashboard_8090=nope"},
                                     {"Authorization": "Basic Zm9vOmJhcg=="}, {"Cookie": "halab_dashboard_9000=x; bad"}])
def test_a_wrong_or_old_token_gets_401(browser, fake_lab, headers):
    resp = browser.post("/api/faults", json=INJECT, headers=headers)
    assert resp.status_code == 401 and fake_lab.injected == []


def test_the_url_make_dashboard_prints_trades_the_token_for_a_cookie_and_leaves_the_address_bar(browser, guard, fake_lab):
    assert browser.get("/api/session").json() == {"can_change": False, "why_not": browser.get("/api/session").json()["why_not"]}
    login = browser.get(f"/?token={guard.token}", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/"
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"halab_dashboard_8090={guard.token};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert browser.get("/api/session").json() == {"can_change": True, "why_not": None}
    assert browser.post("/api/faults", json=INJECT, headers={"Origin": OWN}).status_code == 202  # the cookie alone
    assert browser.get("/api/runs").json()["active"][0]["scenario"] == "app-kill"


def test_a_wrong_token_in_the_url_sets_no_cookie_and_the_page_stays_read_only(browser):
    login = browser.get("/?token=guessed", follow_redirects=False)
    assert login.status_code == 303 and "set-cookie" not in login.headers
    assert browser.get("/api/session").json()["can_change"] is False


def test_each_start_mints_its_own_token():
    assert Guard(port=8090).token != Guard(port=8090).token and len(Guard(port=8090).token) >= 32


# -- headers: framing, sniffing, the CSP -----------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/static/dashboard.js", "/api/status", "/api/nope", "/vendor/uplot.js"])
def test_every_answer_forbids_framing_and_sniffing_and_the_page_allows_only_its_own_files(browser, path):
    headers = browser.get(path).headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_refusals_carry_the_same_headers(browser):
    headers = browser.get("/api/status", headers={"Host": "attacker.example"}).headers
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]


def test_the_event_stream_carries_the_headers(browser):
    with browser.stream("GET", "/api/events") as resp:
        assert resp.headers["x-frame-options"] == "DENY" and resp.headers["content-type"].startswith("text/event-stream")


def test_the_page_has_no_inline_script_or_style_for_its_csp_to_block(browser):
    page = browser.get("/").text
    js = browser.get("/static/dashboard.js").text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # every script is a file
    assert re.findall(r"<style|\sstyle=|\son[a-z]+=", page) == []  # no inline style or event handler
    assert re.findall(r"style=|\son[a-z]+=", js) == []  # nor in the markup the script writes


# -- /reports --------------------------------------------------------------------------------------
@pytest.fixture
def reports(controller, tmp_path):
    root = controller.reports
    (root / "20261207T000000Z-abcd").mkdir(parents=True)
    (root / "20261207T000000Z-abcd" / "report.html").write_text("<html><script>1</script></html>")
    (root / "latest").symlink_to("20261207T000000Z-abcd")
    (tmp_path / "secret.txt").write_text("not yours")
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (root / "escape-dir").symlink_to(tmp_path)
    return root


def test_reports_are_served_sandboxed_through_the_latest_link_too(browser, reports):
    for path in ("/reports/20261207T000000Z-abcd/report.html", "/reports/latest/report.html"):
        resp = browser.get(path)
        assert resp.status_code == 200 and "<script>1</script>" in resp.text
        assert resp.headers["content-security-policy"].startswith("sandbox allow-scripts")
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/reports/%2e%2e/pyproject.toml", "/reports/..%2f..%2fetc/passwd", "/reports/escape.txt",
                                  "/reports/escape-dir/secret.txt", "/reports//etc/passwd", "/reports/%2fetc%2fpasswd"])
def test_nothing_outside_reports_is_served_by_traversal_or_a_symlink(browser, reports, path):
    resp = browser.get(path)
    assert resp.status_code == 404 and "not yours" not in resp.text and "root:" not in resp.text


def test_a_huge_report_is_streamed_not_read_into_memory(browser, reports):
    big = reports / "big.json"
    with big.open("wb") as f:  # sparse: 2 GiB that take no disk
        f.truncate(2 << 30)
    with browser.stream("GET", "/reports/big.json") as resp:
        assert resp.status_code == 200 and resp.headers["content-length"] == str(2 << 30)
        first = next(resp.iter_bytes())
        assert 0 < len(first) < 1 << 20
    os.remove(big)
