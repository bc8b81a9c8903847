"""The real lab, once per test session.

If the lab is already running (a developer's), it is reused and left running. Otherwise the
fixture brings it up with the same command users run (`bin/lab up`, behind `make up`) and always
tears it down, also when start-up fails half-way. The tests talk to the services over the lab
network from the host, which works where the host can route to container IPs (Linux).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import docker
import pytest

from halab.lab import topology

ROOT = Path(__file__).resolve().parents[2]
TIME_FACTOR = float(os.environ.get("HALAB_TIME_FACTOR", "1"))
T = TypeVar("T")


def lab_is_running() -> bool:
    client = docker.from_env()
    return bool(client.containers.list(filters={"label": f"com.docker.compose.project={topology.PROJECT}"}))


def run(*cmd: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=check, text=True, capture_output=True, env={**os.environ, **(env or {})})


# Run last, in this order. test_up recreates Postgres members; test_your_service takes the lab down
# and up with the Node.js example on another subnet, runs its game day, and ends on a fresh lab
# with halab's own service. The plugin's last test takes it down and leaves it down: the Swarm test
# wants the single-engine lab gone (its nodes share the 2 cores), so one `make up` is saved. The
# Swarm test moves gigabytes of images into Docker-in-Docker nodes, and the failover budgets judged
# by the game day and the sweep should not share the disk with that.
LAST = ("test_up.py", "test_your_service.py", "test_pytest_plugin.py", "test_swarm.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable: the order stays otherwise.
    items.sort(key=lambda item: LAST.index(item.path.name) + 1 if item.path.name in LAST else 0)


@pytest.fixture(scope="session")
def lab() -> Iterator[None]:
    if lab_is_running():
        yield
        return
    try:
        # Output goes straight to the terminal: a failed start names its unhealthy services.
        subprocess.run(["bin/lab", "up"], cwd=ROOT, check=True)
        yield
    finally:
        subprocess.run(["bin/lab", "down"], cwd=ROOT, check=False)


@pytest.fixture(autouse=True)
def _lab_back_up(request) -> None:
    """A test that needs the lab gets it, also after one that took it down on purpose and left it
    down (the plugin's last test, whose only followers are the Swarm test and a `-k` selection)."""
    if "lab" in request.fixturenames and not lab_is_running():
        subprocess.run(["bin/lab", "up"], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def status(lab, request) -> dict:
    """The status as users get it (`make status JSON=1`, run in the tools container), read once
    the lab holds steady state as `make up` and every scenario wait for it (`bin/lab settle`):
    tests that run after a scenario read the lab's state, not a moment of a handover. When settle
    had to wait, what it waited for and what the load balancers said go to the terminal."""
    settled = run("bin/lab", "settle", check=False)
    assert settled.returncode == 0, settled.stdout[-3000:] + settled.stderr[-2000:]
    if "waiting for the lab to settle" in settled.stdout:
        # Past pytest's capture, as capsys.disabled() does, which a session fixture cannot ask for.
        with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
            waited = "\n".join(line for line in settled.stdout.splitlines() if line.startswith(("[", "    - ", "lab ready")))
            print(f"\n[status fixture] the lab was not in steady state at first; bin/lab settle waited:\n{waited}\n{lb_logs()}")
    return lab_status()


def lb_logs(lines: int = 25) -> str:
    """What the load balancers said last (keepalived's state changes and HAProxy's servers)."""
    said = [run("docker", "logs", "--tail", str(lines), f"{topology.PROJECT}-{lb}-1", check=False) for lb in topology.LBS]
    return "\n".join(f"--- {lb}:\n{p.stdout}{p.stderr}" for lb, p in zip(topology.LBS, said))


def lab_status(env: dict | None = None) -> dict:
    proc = run("make", "-s", "status", "JSON=1", check=False, env=env)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"make status JSON=1 did not print JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")



# What every role must have a holder of after `make up` (the keys of `make status JSON=1`).
ROLES = ("vip_holder", "pg_leader", "pg_sync_standby", "redis_master", "kafka_controller", "etcd_leader")


def make_up(capsys, label: str, env: dict | None = None) -> str:
    """`make up` as users type it; asserts it succeeded, prints how long it took, returns its output."""
    started = time.monotonic()
    proc = run("make", "up", check=False, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"make up exited {proc.returncode}:\n{output[-4000:]}"
    ready = re.search(r"lab ready: .*", output)
    with capsys.disabled():
        print(f"\n[make up {label}] {ready.group(0) if ready else '?'}; {time.monotonic() - started:.0f} s with the image check")
    return output


def assert_every_role_held(env: dict | None = None) -> dict:
    status = lab_status(env)
    if not status["healthy"]:
        # What the load balancers said (keepalived's state changes), and a second look: a
        # moment's handover and a lab that stays broken call for different fixes.
        assert status["healthy"], f"{status['problems']}\nlooked again: {lab_status(env)['problems']}\n{lb_logs()}"
    assert all(status[role] for role in ROLES), {role: status[role] for role in ROLES}
    return status

def eventually(what: str, probe: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.2,
               explain: Callable[[], str] | None = None) -> T:
    """Polls until probe() returns something truthy; fails naming what it waited for, and with
    what `explain()` gathers then (the state and logs that tell why)."""
    deadline = time.monotonic() + timeout * TIME_FACTOR
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as e:  # the service may be mid-change; keep the last reason
            last_error = e
        time.sleep(interval)
    pytest.fail(f"{what}: not true after {timeout * TIME_FACTOR:.0f} s" + (f" (last error: {last_error})" if last_error else "")
                + (f"\n{explain()}" if explain else ""))
