"""halab as a package other repositories install: ranges where a team's own dependencies meet
halab's, the exact versions the lab's images run in constraints.txt, one version, a licence."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from click.testing import CliRunner
from packaging.requirements import Requirement

import halab
from halab.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    return pins


def test_what_a_team_installs_beside_its_own_dependencies_is_a_range():
    for spec in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["pytest"]:
        requirement = Requirement(spec)
        assert not any(s.operator == "==" for s in requirement.specifier), f"{spec}: a pin clashes with a team's own"


def test_the_images_run_exact_versions_within_those_ranges():
    pins = constraints()
    for spec in PROJECT["dependencies"]:
        requirement = Requirement(spec)
        assert requirement.name.lower() in pins, f"{requirement.name} has no exact version in constraints.txt"
        assert requirement.specifier.contains(pins[requirement.name.lower()]), (spec, pins[requirement.name.lower()])


def test_one_version_which_the_command_and_the_metadata_say():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"halab, version {halab.__version__}"
    assert metadata.version("halab") == halab.__version__


def test_the_licence_pyproject_names_is_in_the_repository():
    assert PROJECT["license"] == "Apache-2.0" and PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_a_command_whose_dependencies_are_missing_says_so_instead_of_a_traceback():
    import subprocess
    import sys

    # As with `pip install halab` alone: the operator's tools (here redis-py) are not installed.
    without_redis = "import sys; sys.modules['redis'] = None; from halab.cli import main; main()"
    for args in (["swarm", "status"], ["status"], ["--version"]):
        done = subprocess.run([sys.executable, "-c", without_redis, *args], capture_output=True, text=True,
                              env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
        if args == ["--version"]:
            assert (done.returncode, done.stdout) == (0, f"halab, version {halab.__version__}\n"), done.stderr
            continue
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"`halab {args[0]}` needs redis, which this installation lacks: pip install 'halab[tools]'" in done.stderr
        assert "Traceback" not in done.stderr
