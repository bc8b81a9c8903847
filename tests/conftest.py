"""Before collection: the HTML report's charting library and the JUnit schema, pinned and
checked, fetched once into the tree when missing (what `make vendor` does), so that a plain
`pytest` in a fresh clone runs the report's and JUnit's tests instead of skipping or failing
them. Offline, the tests that need them say so themselves."""

from __future__ import annotations

import sys


def pytest_configure(config) -> None:
    from halab.chaos.views import chartlib as vendor
    from tests.unit.chaos import junit_schema

    for what, present, fetch in (("uPlot", lambda: vendor.tarball_path().exists(), vendor.fetch),
                                 ("the JUnit schema", junit_schema.XSD.exists, junit_schema.fetch)):
        if present():
            continue
        try:
            print(f"halab tests: fetching {what}: {fetch()}", file=sys.stderr)
        except (Exception, SystemExit) as e:  # noqa: BLE001 - offline or refused: the tests that need it say why
            print(f"halab tests: could not fetch {what} ({e}); its tests will say so", file=sys.stderr)
