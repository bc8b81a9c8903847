"""The pytest plugin exactly as another project uses it: halab installed (not editable) into a
virtualenv of its own, a test file in a directory of its own, `pytest` run there against the real
lab. First with the lab running (reused, left running), then with the lab down (brought up by the
plugin through testcontainers' DockerCompose, and taken down again, since the plugin started it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT, lab_is_running, run

pytestmark = pytest.mark.integration

TEAM_TEST = """
    def test_failover(halab_lab):
        result = halab_lab.run_scenario("redis-master-kill")
        # The default game day's budget for this scenario; Postgres loses no acknowledged write.
        # (Not Redis: its replication is asynchronous, and losing writes there is what it teaches.)
        assert result.failover_s < 5 and result.lost_writes("postgres") == 0
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Another project: its own directory and virtualenv, halab installed from this checkout."""
    where = tmp_path_factory.mktemp("team-project")
    subprocess.run([sys.executable, "-m", "venv", str(where / ".venv")], check=True)
    install = subprocess.run([str(where / ".venv/bin/pip"), "install", "-q", f"{ROOT}[pytest]"],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    (where / "pytest.ini").write_text(f"[pytest]\nhalab_compose = {ROOT / 'docker-compose.yml'}\n")
    return where


def team_pytest(project: Path, test: str, *args: str) -> subprocess.CompletedProcess:
    (project / "test_team.py").write_text(textwrap.dedent(test))
    return subprocess.run([str(project / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--junitxml=junit.xml", *args], cwd=project, capture_output=True, text=True)


def test_a_team_asserts_a_failover_on_the_running_lab_and_leaves_it_running(lab, project):
    done = team_pytest(project, TEAM_TEST)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    junit = (project / "junit.xml").read_text()
    assert 'name="halab.redis-master-kill.verdict" value="pass"' in junit
    assert 'name="halab.redis-master-kill.lost_writes.postgres" value="0"' in junit
    assert lab_is_running()


def test_a_lab_running_another_profile_is_named_not_reused(lab, project):
    done = team_pytest(project, "def test_x(halab_lab):\n    pass\n", "--halab-profile=stock")
    assert done.returncode != 0
    assert "a lab is already running with profile 'tuned', not 'stock'" in done.stdout
    assert lab_is_running()


def test_with_the_lab_down_the_plugin_brings_it_up_and_takes_it_down(lab, project):
    down = run("make", "down", check=False)
    assert down.returncode == 0, down.stderr
    done = team_pytest(project, """
        def test_steady(halab_lab):
            status = halab_lab.status()
            assert status["healthy"], status["problems"]
            assert halab_lab.started_here
    """)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # Left down: it runs just before the Swarm test, which needs no single-engine lab (a test that
    # does gets it back from conftest's _lab_back_up).
    assert not lab_is_running(), "the plugin started the lab, so it must take it down"
