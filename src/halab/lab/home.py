"""Where the lab's own files are: the compose file, bin/lab, the images' sources, the profiles and
the game days. In a clone, the clone. From a wheel installed anywhere else, the copy the wheel
carries (halab/lab_home, packed by setup.py), unpacked once per version into a folder of its own
that the lab may write to (reports/, build/): `halab home` prints it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import halab

PACKED = Path(halab.__file__).resolve().parent / "lab_home"
MARK = ".halab-unpacked"


class NoLabHome(Exception):
    """Neither a clone nor a wheel that carries the lab."""


def checkout() -> Path | None:
    """The clone halab runs from (an editable install or PYTHONPATH=src), if it does."""
    root = Path(halab.__file__).resolve().parents[2]
    return root if (root / "docker-compose.yml").is_file() and (root / "bin" / "lab").is_file() else None


def _fingerprint(tree: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(tree)}\0{path.stat().st_size}\0".encode())
    return digest.hexdigest()[:16]


def unpacked(cache: Path | None = None) -> Path:
    """The wheel's lab, unpacked under $HALAB_HOME, or ~/.cache/halab/lab-<version>; unpacked
    again when the wheel changed, keeping the runs (reports/) of the last one."""
    if not (PACKED / "docker-compose.yml").is_file():
        raise NoLabHome("this halab installation carries no lab (built without its tree): use a clone of halab, "
                        "or point HALAB_COMPOSE at docker-compose.yml of one")
    base = cache or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "halab"
    target = Path(os.environ["HALAB_HOME"]) if os.environ.get("HALAB_HOME") else base / f"lab-{halab.__version__}"
    want = _fingerprint(PACKED)
    mark = target / MARK
    if mark.is_file() and mark.read_text().strip() == want:
        return target
    reports = target / "reports"
    kept = target.with_name(target.name + ".reports") if reports.is_dir() else None
    if kept:
        shutil.rmtree(kept, ignore_errors=True)
        reports.rename(kept)
    shutil.rmtree(target, ignore_errors=True)
    # pip compiled the packed sources when it installed the wheel: their caches stay behind.
    shutil.copytree(PACKED, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for script in [*(target / "bin").iterdir(), *(target / "images").rglob("*.sh")]:
        script.chmod(0o755)
    if kept:
        kept.rename(target / "reports")
    mark.write_text(want + "\n")
    return target


def home() -> Path:
    """The clone, else the wheel's lab unpacked."""
    return checkout() or unpacked()
