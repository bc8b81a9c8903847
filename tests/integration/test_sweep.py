"""`make spof-sweep` on the real lab: every service killed alone stays within its tier's budget (no
single point of failure), and after each double failure the lab comes back by itself with no
acknowledged Postgres or Kafka write lost."""

from __future__ import annotations

import json
import warnings

import pytest

from halab.lab import topology

from .conftest import ROOT, eventually, lab_status, run

pytestmark = pytest.mark.integration

LATEST = ROOT / "reports" / "sweep" / "latest"


@pytest.fixture(scope="module")
def sweep(lab) -> dict:
    before = LATEST.resolve() if LATEST.exists() else None
    done = run("make", "spof-sweep", check=False)
    print(done.stdout[-6000:])
    assert LATEST.exists() and LATEST.resolve() != before, f"no new sweep journal:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    summary = json.loads((LATEST / "sweep.json").read_text())
    summary["exit"] = done.returncode
    summary["output"] = done.stdout
    return summary


def test_every_service_failed_alone_within_its_tiers_budget(sweep):
    assert sweep["services_swept"] == sorted(topology.ALL_SERVICES)
    assert sweep["single_points_of_failure"] == []
    assert sweep["over_budget"] == []
    assert "no single point of failure" in sweep["output"]
    for r in sweep["singles"]:
        if r.get("earlier_misses"):  # within budget only on a rerun (rerun_misses): said, never hidden
            warnings.warn(f"{r['services'][0]}: {r['verdict_label']}; {' | '.join(r['earlier_misses'])}", stacklevel=1)


def test_after_each_double_failure_the_lab_came_back_by_itself_losing_no_acknowledged_write(sweep):
    assert [r["scenario"] for r in sweep["doubles"]] == [
        "both-lbs-kill", "etcd-majority-kill", "pg-leader-and-sync-kill", "redis-master-and-replica-kill",
        "kafka-two-brokers-kill"]
    for r in sweep["doubles"]:
        assert len(r["services"]) == 2 and r["services"][0] != r["services"][1]
        assert r["recovered_by_itself"], (r["scenario"], r["reasons"])
        for store in ("postgres", "kafka"):
            assert r["probes"][store]["lost"] == 0, (r["scenario"], store, r["probes"][store])
    # Both load balancers down is the one pair every HTTP client must feel.
    both_lbs = sweep["doubles"][0]["probes"]["http"]
    assert both_lbs["failed"] > 0
    assert sweep["exit"] == 0
    # The sweep saw steady state after each pair; the last one's stragglers (Kafka's ISRs) may
    # still move for a few seconds after it.
    eventually("the lab in steady state after the sweep", lambda: lab_status()["healthy"], timeout=90)
