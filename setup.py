"""Packs the lab itself into the wheel, as halab/lab_home: the compose file, bin/, the images'
sources, the profiles and game days, so that the pytest plugin and `halab home` work from a wheel
installed outside a clone (halab.lab.home unpacks it). Everything else is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# What bin/lab needs, and exactly what it builds the images from (bin/lab's source_digest), so a
# lab unpacked from the wheel finds the images a checkout of the same tree built, and builds none.
LAB_FILES = ("docker-compose.yml", "Makefile", "pyproject.toml", "constraints.txt", "README.md", "LICENSE", "setup.py")
LAB_DIRS = ("bin", "images", "profiles", "gamedays", "src", "examples", "tools")
# Caches, the charting library fetched at run time, and a user's own CA certificates.
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "vendor", "*.crt", "node_modules")


class BuildWithLab(build_py):
    def run(self) -> None:
        super().run()
        home = Path(self.build_lib) / "halab" / "lab_home"
        shutil.rmtree(home, ignore_errors=True)
        if not (ROOT / "docker-compose.yml").is_file():
            return  # not built from a halab tree
        home.mkdir(parents=True)
        for name in LAB_FILES:
            shutil.copy2(ROOT / name, home / name)
        for name in LAB_DIRS:
            shutil.copytree(ROOT / name, home / name, ignore=SKIP)
        # Every image build copies certs/ (make certs fills it); the wheel carries it empty.
        (home / "certs").mkdir()
        shutil.copy2(ROOT / "certs" / "README.md", home / "certs" / "README.md")


setup(cmdclass={"build_py": BuildWithLab})
