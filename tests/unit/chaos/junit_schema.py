"""The JUnit XML schema the JUnit report is checked against: junit-10.xsd (Jenkins' xUnit
schema, MIT, as pytest's own tests use it), taken from pytest's source distribution on PyPI,
pinned and checked against its sha256. `make vendor` fetches it once (needs PyPI);
`python tests/unit/chaos/junit_schema.py` does the same."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PYTEST_SDIST = "pytest==8.4.1"
SDIST_NAME = "pytest-8.4.1.tar.gz"
SDIST_SHA256 = "7c67fd69174877359ed9371ec3af8a3d2b04741818c51e5e99cc1742251fa93c"
MEMBER = "pytest-8.4.1/testing/example_scripts/junit-10.xsd"
XSD = Path(__file__).resolve().parents[2] / ".vendor" / "junit-10.xsd"


def fetch() -> Path:
    if XSD.exists():
        return XSD
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        PYTEST_SDIST, "-d", tmp], check=True)
        sdist = Path(tmp) / SDIST_NAME
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != SDIST_SHA256:
            raise SystemExit(f"{SDIST_NAME} has sha256 {digest}, expected {SDIST_SHA256}: not using it")
        with tarfile.open(sdist) as tar:
            data = tar.extractfile(MEMBER).read()  # type: ignore[union-attr]
    XSD.parent.mkdir(parents=True, exist_ok=True)
    XSD.write_bytes(data)
    return XSD


if __name__ == "__main__":
    print(f"JUnit schema: {fetch()} (from {SDIST_NAME}, sha256 verified)")
