"""`make load` refuses a bundle it must not load, before loading anything: one whose images are
for another architecture than this engine's, and one that is damaged. (Saving and loading a real
bundle takes a minute; these refusals need only the engine.)"""

from __future__ import annotations

import hashlib
import os
import subprocess

import docker
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.integration


def bundle(tmp_path, arch: str | None, *, damaged: bool = False):
    archive = tmp_path / "halab-images.tar.gz"
    archive.write_bytes(b"not really images")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    lines = ["# halab image bundle", "source 0123456789abcdef"] + ([f"arch {arch}"] if arch else [])
    lines += ["image halab/base sha256:00", f"{digest}  {archive.name}"]
    (tmp_path / "halab-images.tar.gz.manifest").write_text("\n".join(lines) + "\n")
    if damaged:
        archive.write_bytes(b"truncated")
    return archive


def load(archive) -> subprocess.CompletedProcess:
    return subprocess.run(["bin/lab", "load"], cwd=ROOT, env={**os.environ, "FILE": str(archive)}, capture_output=True, text=True)


def test_a_bundle_for_another_architecture_is_refused_before_loading(tmp_path):
    here = docker.from_env().info()["Architecture"]
    foreign = "aarch64" if here == "x86_64" else "x86_64"
    out = load(bundle(tmp_path, foreign))
    assert out.returncode == 1
    assert f"holds {foreign} images and this engine runs {here}" in out.stderr and "make up" in out.stderr
    assert "Loaded image" not in out.stdout


def test_a_damaged_bundle_is_refused_naming_both_checksums(tmp_path):
    out = load(bundle(tmp_path, "x86_64", damaged=True))
    assert out.returncode == 1 and "is damaged or incomplete: sha256" in out.stderr and "the manifest says" in out.stderr
