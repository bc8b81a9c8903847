"""The charting library the HTML report inlines and the dashboard serves: uPlot, pinned and
integrity-checked.

uPlot (MIT, ~50 kB minified, no dependencies) is fetched from the npm registry at build time
(`make` when it creates the venv, the tools image's Dockerfile) into `vendor/` beside this
module (git-ignored), as the registry's own tarball, and checked against the pinned sha512 both
when it is fetched and every time a report is rendered. A report never fetches anything: the
page is one file that opens offline.

Why uPlot: it is the library k6 inlines into its one-file HTML dashboard for the same purpose, it
draws tens of thousands of points on a canvas without effort, and its licence notice is one
paragraph. The Python plotting packages on PyPI that emit HTML (Plotly, Bokeh) inline
JavaScript of a megabyte (Bokeh) to several (Plotly), over the whole report's size budget
on its own.

Fetch it with `python -m halab.chaos.views.chartlib`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from halab.lab.errors import LabError


class VendorError(LabError):
    """The charting library is missing, fails its integrity check or could not be fetched."""


UPLOT_VERSION = "1.6.32"
# dist.integrity of https://registry.npmjs.org/uplot/1.6.32: the sha512 of the tarball.
UPLOT_INTEGRITY = "sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
UPLOT_URL = f"https://registry.npmjs.org/uplot/-/uplot-{UPLOT_VERSION}.tgz"
FETCH_COMMAND = "python -m halab.chaos.views.chartlib"
VENDOR_DIR = Path(__file__).parent / "vendor"
_MEMBERS = {"js": "package/dist/uPlot.iife.min.js", "css": "package/dist/uPlot.min.css", "licence": "package/LICENSE"}


@dataclass(frozen=True)
class ChartLib:
    version: str
    js: str
    css: str
    licence: str


def tarball_path(vendor_dir: Path | None = None) -> Path:
    return (vendor_dir or VENDOR_DIR) / f"uplot-{UPLOT_VERSION}.tgz"


def _check(data: bytes, what: str) -> None:
    algorithm, _, expected = UPLOT_INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise VendorError(f"{what} fails its integrity check ({algorithm} {actual}, expected {expected}); "
                          f"delete it and run `{FETCH_COMMAND}`")


def fetch(vendor_dir: Path | None = None, *, timeout_s: float = 60) -> Path:
    """Download the pinned tarball unless a good copy is already there; returns its path."""
    path = tarball_path(vendor_dir)
    if path.exists():
        try:
            _check(path.read_bytes(), str(path))
            return path
        except VendorError:
            path.unlink()
    try:
        with urllib.request.urlopen(UPLOT_URL, timeout=timeout_s) as response:
            data = response.read()
    except OSError as e:
        raise VendorError(f"could not download {UPLOT_URL}: {e}") from None
    _check(data, UPLOT_URL)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def load(vendor_dir: Path | None = None) -> ChartLib:
    """The library's files, read from the verified tarball."""
    path = tarball_path(vendor_dir)
    try:
        data = path.read_bytes()
    except OSError:
        raise VendorError(f"the charting library uPlot {UPLOT_VERSION} is not in {path.parent}: "
                          f"fetch it with `{FETCH_COMMAND}` (needs registry.npmjs.org once)") from None
    _check(data, str(path))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        files = {key: tar.extractfile(member).read().decode() for key, member in _MEMBERS.items()}  # type: ignore[union-attr]
    return ChartLib(version=UPLOT_VERSION, **files)


def main() -> None:
    try:
        path = fetch()
    except VendorError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"uPlot {UPLOT_VERSION}: {path} ({path.stat().st_size} bytes, {UPLOT_INTEGRITY[:15]}… verified)")


if __name__ == "__main__":
    main()
