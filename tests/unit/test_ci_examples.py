"""The CI examples other teams copy, checked against their CI system's own schema (vendored in
check-jsonschema, so offline) and for what the steps need to work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"


def validate(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True)


def test_the_github_workflow_is_valid_against_githubs_schema():
    result = validate("vendor.github-workflows", GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(GITHUB.read_text().replace("runs-on:", "runs_on:"))
    assert validate("vendor.github-workflows", broken).returncode != 0


def test_the_github_job_may_publish_its_checks_and_reuses_its_images():
    workflow = yaml.safe_load(GITHUB.read_text())
    assert workflow["permissions"]["checks"] == "write"  # action-junit-report creates a check run
    steps = workflow["jobs"]["gameday"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    for source in ("images/**", "src/**", "pyproject.toml", "constraints.txt"):
        assert source in cache["with"]["key"], f"the image cache must change with {source}"
    assert any("make load" in s.get("run", "") for s in steps) and any("make save" in s.get("run", "") for s in steps)


def test_the_gitlab_job_is_valid_against_gitlabs_schema():
    result = validate("vendor.gitlab-ci", GITLAB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_gitlab_job_reaches_dind_and_shows_the_scenarios_in_merge_requests():
    job = yaml.safe_load(GITLAB.read_text())["gameday"]
    assert job["variables"]["DOCKER_HOST"] == "tcp://docker:2376" and any(s["alias"] == "docker" for s in job["services"])
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "artifacts/junit.xml"
    assert job["script"] == ["bash examples/ci/gameday.sh"]  # the same script halab's own CI runs


ACTION = ROOT / "action.yml"


def test_the_github_action_is_valid_against_githubs_schema():
    result = validate("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_runs_the_ci_script_with_inputs_as_environment_and_caches_the_images_by_their_sources():
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    # An input spliced into a script is a script injection; they reach it as environment only.
    assert not [s["name"] for s in steps if "${{" in s.get("run", "")]
    gameday = next(s for s in steps if s.get("id") == "gameday")
    assert 'bash "$GITHUB_ACTION_PATH/examples/ci/gameday.sh"' in gameday["run"]
    assert gameday["env"]["HALAB_INPUT_APP"] == "${{ inputs.app }}"
    source = next(s for s in steps if s.get("id") == "source")
    assert '"$GITHUB_ACTION_PATH/bin/lab" source-digest' in source["run"]
    keys = [s["with"]["key"] for s in steps if s.get("uses", "").startswith("actions/cache/")]
    assert len(keys) == 2 and all("steps.source.outputs.digest" in k for k in keys) and keys[0] == keys[1]
    assert any("make -C" in s.get("run", "") and " load " in s["run"] for s in steps)
    assert any("make -C" in s.get("run", "") and " save " in s["run"] for s in steps)
    assert steps[-1]["run"] == 'exit "${HALAB_EXIT:-2}"'  # the job fails when a budget broke


def test_the_source_digest_is_the_one_images_are_labelled_with():
    done = subprocess.run([str(ROOT / "bin" / "lab"), "source-digest"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 16 and all(c in "0123456789abcdef" for c in done.stdout.strip())
