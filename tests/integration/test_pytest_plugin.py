"""The pytest plugin exactly as another project uses it: a wheel built from this checkout, installed
into a virtualenv of its own in a directory of its own, with no path to the checkout anywhere (the
lab comes from the wheel, unpacked by `halab home`), and `pytest` run there against the real lab.
First with the lab running (reused, left running), then with the lab down (brought up by the
plugin through testcontainers' DockerCompose, and taken down again, since the plugin started it)."""

from __future__ import annotations

import os
import shutil
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
    """Another project: its own directory and virtualenv, halab installed from a wheel of this
    checkout, and nothing that names the checkout."""
    # Under the checkout's build/ (git-ignored), not /tmp: `make test` runs in a container, and the
    # engine resolves the lab's bind mounts (./reports, ./gamedays of the unpacked lab) on its own
    # side, where only the checkout is mounted at the same path.
    where = ROOT / "build" / "team-project"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("halab-*.whl")
    # Without the PYTHONPATH of `make test` (this checkout's src/), where pip would find halab
    # "already installed" and install nothing.
    subprocess.run([sys.executable, "-m", "venv", str(where / ".venv")], check=True, env=team_env(where))
    install = subprocess.run([str(where / ".venv/bin/pip"), "install", "-q", f"{wheel}[pytest]"],
                             capture_output=True, text=True, env=team_env(where))
    assert install.returncode == 0, install.stdout + install.stderr
    installed = subprocess.run([str(where / ".venv/bin/python"), "-c", "import halab; print(halab.__file__)"],
                               capture_output=True, text=True, env=team_env(where))
    assert installed.stdout.startswith(str(where / ".venv")), installed.stdout + installed.stderr
    (where / "pytest.ini").write_text("[pytest]\n")
    return where


def team_env(project: Path) -> dict[str, str]:
    # The lab the wheel carries is unpacked under the project's own cache, not a developer's.
    env = {k: v for k, v in os.environ.items() if k not in ("HALAB_COMPOSE", "PYTHONPATH", "HALAB_HOME")}
    return {**env, "XDG_CACHE_HOME": str(project / ".cache")}


def team_pytest(project: Path, test: str, *args: str) -> subprocess.CompletedProcess:
    (project / "test_team.py").write_text(textwrap.dedent(test))
    return subprocess.run([str(project / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--junitxml=junit.xml", *args], cwd=project, capture_output=True, text=True,
                          env=team_env(project))


def test_halab_home_is_the_lab_the_wheel_carries_unpacked_beside_the_project(project):
    home = subprocess.run([str(project / ".venv/bin/halab"), "home"], capture_output=True, text=True,
                          env=team_env(project))
    assert home.returncode == 0, home.stderr
    assert Path(home.stdout.strip()).parent == project / ".cache" / "halab"
    unpacked = Path(home.stdout.strip())
    assert (unpacked / "bin" / "lab").stat().st_mode & 0o111
    for needed in ("docker-compose.yml", "images/lb/haproxy.cfg.tmpl", "images/common/render-profile", "profiles/tuned.env",
                   "gamedays/default.yaml", "src/halab/app/wsgi.py", "certs/README.md", "constraints.txt"):
        assert (unpacked / needed).is_file(), needed
    assert (unpacked / "images/common/render-profile").stat().st_mode & 0o111
    # Nothing of the machine it was built on: no CA certificate, no cache, no fetched library.
    assert not [p for p in unpacked.rglob("*") if p.suffix in (".crt", ".pyc") or "vendor" in p.parts]


def test_a_team_asserts_a_failover_on_the_running_lab_and_leaves_it_running(lab, project):
    done = team_pytest(project, TEAM_TEST)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    junit = (project / "junit.xml").read_text()
    assert 'name="halab.redis-master-kill.verdict" value="pass"' in junit
    assert 'name="halab.redis-master-kill.lost_writes.postgres" value="0"' in junit
    # The scenario ran from the unpacked lab, whose reports/pytest/<session>/ hold its journal.
    (unpacked,) = (project / ".cache" / "halab").glob("lab-*")
    assert list((unpacked / "reports" / "pytest").rglob("journal.json"))
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
