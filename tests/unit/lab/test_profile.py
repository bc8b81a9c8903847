"""Profiles: defined once in profiles/*.env, filled into the images' configs, read back from the
containers' environment, and Patroni's timers applied through its REST API."""

import re
from pathlib import Path

import pytest

from halab.lab import profile

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"@(HALAB_[A-Z0-9_]+)@")
# Placeholders the entrypoints set themselves rather than the profile: the lab network's prefix,
# and where HAProxy's backends are.
# Not knobs: where things are, and which paths the service in the app slots answers health checks on.
NOT_KNOBS = {"HALAB_NET", "HALAB_CLIENTS_CIDR", "HALAB_PATRONI_API_PORT", "HALAB_APP_READY_PATH", "HALAB_APP_HEALTH_PATH"} | {f"HALAB_BACKEND_{m}{i}" for m in ("APP", "PG") for i in (1, 2, 3)}


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def placeholders() -> set[str]:
    found = set()
    for path in (ROOT / "images").rglob("*"):
        if path.is_file() and path.name != "render-profile":
            found |= set(PLACEHOLDER.findall(path.read_text(errors="ignore")))
    return found


def test_every_profile_sets_the_same_knobs_and_every_knob_is_used():
    profiles = {p.stem: read_env(p) for p in (ROOT / "profiles").glob("*.env")}
    assert set(profiles) >= {"tuned", "stock"}
    keys = {name: set(env) for name, env in profiles.items()}
    assert all(k == keys["tuned"] for k in keys.values()), keys
    assert all(env["HALAB_PROFILE"] == name for name, env in profiles.items())
    used = (placeholders() - NOT_KNOBS) | {"HALAB_PROFILE"}
    assert keys["tuned"] == used, (keys["tuned"] ^ used)


def test_stock_is_upstreams_defaults_and_tuned_differs_where_it_matters():
    stock, tuned = read_env(ROOT / "profiles/stock.env"), read_env(ROOT / "profiles/tuned.env")
    assert (stock["HALAB_PATRONI_TTL"], stock["HALAB_PATRONI_LOOP_WAIT"], stock["HALAB_PATRONI_RETRY_TIMEOUT"]) == ("30", "10", "10")
    assert stock["HALAB_SENTINEL_DOWN_AFTER_MS"] == "30000" and stock["HALAB_KAFKA_SESSION_TIMEOUT_MS"] == "9000"
    assert stock["HALAB_VRRP_VERSION"] == "2" and stock["HALAB_HAPROXY_RETRY_ON"] == "none"
    # Patroni refuses a configuration where loop_wait + 2 x retry_timeout > ttl.
    for env in (stock, tuned):
        assert int(env["HALAB_PATRONI_LOOP_WAIT"]) + 2 * int(env["HALAB_PATRONI_RETRY_TIMEOUT"]) <= int(env["HALAB_PATRONI_TTL"])
    assert int(tuned["HALAB_PATRONI_TTL"]) < int(stock["HALAB_PATRONI_TTL"])


class FakeContainer:
    def __init__(self, env):
        self.attrs = {"Config": {"Env": [f"{k}={v}" for k, v in env.items()] + ["PATH=/usr/bin"]}}


@pytest.fixture
def lab(monkeypatch):
    running = {}
    monkeypatch.setattr(profile.containers, "client", lambda: None)
    monkeypatch.setattr(profile.containers, "lab_containers", lambda _c: running)
    return running


def test_the_profile_in_force_is_read_from_the_containers(lab):
    lab.update({s: FakeContainer({"HALAB_PROFILE": "stock", f"HALAB_{s.upper()}": "1"}) for s in ("lb1", "pg1", "kafka1")})
    found = profile.in_force()
    assert found.name == "stock" and found.knobs == {"HALAB_LB1": "1", "HALAB_PG1": "1", "HALAB_KAFKA1": "1"}
    lab["sentinel1"] = FakeContainer({"HALAB_PROFILE": "tuned"})
    assert profile.in_force().name == "mixed"
    lab.clear()
    with pytest.raises(profile.ProfileError, match="make up"):
        profile.in_force()


class FakeAnswer:
    def __init__(self, status_code=200, payload=None):
        self.status_code, self._payload, self.text = status_code, payload, "refused"

    def json(self):
        return self._payload


def test_apply_patches_only_what_differs(monkeypatch):
    stock = profile.Profile("stock", {"HALAB_PATRONI_TTL": "30", "HALAB_PATRONI_LOOP_WAIT": "10",
                                      "HALAB_PATRONI_RETRY_TIMEOUT": "10", "HALAB_PATRONI_PRIMARY_START_TIMEOUT": "300"})
    patched = []
    monkeypatch.setattr(profile.requests, "get", lambda url, timeout: FakeAnswer(payload={
        "ttl": 5, "loop_wait": 1, "retry_timeout": 10, "primary_start_timeout": 0}))
    monkeypatch.setattr(profile.requests, "patch", lambda url, json, timeout: patched.append(json) or FakeAnswer())
    assert profile.apply(stock) == {"ttl": 30, "loop_wait": 10, "primary_start_timeout": 300, "master_start_timeout": 300}
    assert patched == [{"ttl": 30, "loop_wait": 10, "primary_start_timeout": 300, "master_start_timeout": 300}]
    monkeypatch.setattr(profile.requests, "get", lambda url, timeout: FakeAnswer(payload={
        "ttl": 30, "loop_wait": 10, "retry_timeout": 10, "primary_start_timeout": 300}))
    assert profile.apply(stock) == {} and len(patched) == 1


def test_a_refused_patch_says_what_patroni_answered(monkeypatch):
    monkeypatch.setattr(profile.requests, "get", lambda url, timeout: FakeAnswer(payload={"ttl": 5}))
    monkeypatch.setattr(profile.requests, "patch", lambda url, json, timeout: FakeAnswer(400))
    with pytest.raises(profile.ProfileError, match="Patroni refused .*HTTP 400"):
        profile.apply(profile.Profile("stock", {"HALAB_PATRONI_TTL": "30"}))


def render(template: Path, env: dict[str, str]) -> str:
    # What the entrypoint sets from the container's own address, and its backends' defaults.
    backends = {f"HALAB_BACKEND_{m}{i}": f"10.77.0.{base + i}:{port}" for m, base, port in (("APP", 20, 8000), ("PG", 50, 5432))
                for i in (1, 2, 3)}
    env = {"HALAB_NET": "10.77.0", "HALAB_PATRONI_API_PORT": "8008", "HALAB_APP_READY_PATH": "/readyz",
           "HALAB_APP_HEALTH_PATH": "/healthz", **backends, **env}
    return PLACEHOLDER.sub(lambda m: env[m.group(1)], template.read_text())


def sections(cfg: str) -> dict[str, list[str]]:
    found, name = {}, None
    for line in cfg.splitlines():
        if line.startswith(("frontend ", "backend ", "listen ")):
            name = line.split()[1]
        elif name and line.strip() and not line.strip().startswith("#"):
            found.setdefault(name, []).append(line.strip())
    return found


def test_tuned_haproxy_replays_5xx_on_the_app_backend_only():
    cfg = sections(render(ROOT / "images/lb/haproxy.cfg.tmpl", read_env(ROOT / "profiles/tuned.env")))
    retry = {name: next((l for l in lines if l.startswith("retry-on")), None) for name, lines in cfg.items()}
    assert retry["app"].endswith("502 503 504")
    # The fail-open backend's replicas answer 503 on purpose while a dependency fails over.
    assert "503" not in retry["app_alive"] and "conn-failure" in retry["app_alive"]
    stock = sections(render(ROOT / "images/lb/haproxy.cfg.tmpl", read_env(ROOT / "profiles/stock.env")))
    assert "retry-on none" in stock["app"] and "default-server inter 2s fall 3 rise 2 check" in stock["app"]


def test_each_sentinel_is_set_to_the_profiles_timers(monkeypatch):
    # Sentinel leaves a value equal to its default out of the config it rewrites, so after a stock
    # run a restarted Sentinel had no line to edit back: the bench caught tuned runs at 30 s.
    sent = []

    class FakeSentinel:
        def __init__(self, host, port, socket_timeout):
            self.host = host

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute_command(self, *args):
            sent.append((self.host, args))

    monkeypatch.setattr(profile.redis, "Redis", FakeSentinel)
    tuned = profile.Profile("tuned", {"HALAB_SENTINEL_DOWN_AFTER_MS": "1000", "HALAB_SENTINEL_FAILOVER_TIMEOUT_MS": "10000"})
    assert profile.apply_sentinels(tuned) == {"down-after-milliseconds": "1000", "failover-timeout": "10000"}
    assert len(sent) == 3 and all(args == ("SENTINEL", "SET", "halab", "down-after-milliseconds", "1000",
                                           "failover-timeout", "10000") for _, args in sent)
