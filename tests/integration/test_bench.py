"""`make bench` on the real lab, narrowed to one scenario and one run per profile, so that the
command cannot rot: the lab is started under the stock profile, then the tuned one, the journals
say which knobs were really in force, and bench.json sets the two failovers side by side.
(The full bench, every scenario 3 times, is `make bench`: about 45 minutes here.)"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import ROOT, lab_status, run

pytestmark = pytest.mark.integration


def test_one_run_bench_of_a_redis_master_kill_stock_then_tuned(lab, capsys):
    proc = run("make", "bench", "RUNS=1", "SCENARIO=redis-master-kill", check=False)
    output = proc.stdout + proc.stderr
    with capsys.disabled():
        print("\n" + "\n".join(line for line in output.splitlines() if re.match(r"(===|bench|│ redis|┃)", line)))
    assert proc.returncode == 0, output[-5000:]
    bench = json.loads((ROOT / "reports/bench/latest/bench.json").read_text())
    assert set(bench["profiles"]) == {"stock", "tuned"}
    # The knobs read back from the services, not the profile file: what was really in force.
    stock_knobs, tuned_knobs = (bench["profiles"][p]["knobs"] for p in ("stock", "tuned"))
    assert stock_knobs["sentinel"]["down-after-milliseconds"] == "30000"
    assert stock_knobs["patroni"]["ttl"] == 30 and tuned_knobs["patroni"]["ttl"] == 5
    assert stock_knobs["profile"]["name"] == "stock" and tuned_knobs["profile"]["name"] == "tuned"
    (row,) = bench["scenarios"]
    assert row["scenario"] == "redis-master-kill"
    stock, tuned = row["stock"]["median_failover_s"], row["tuned"]["median_failover_s"]
    # Sentinel's stock down-after is 30 s, the tuned one 1 s.
    assert stock is not None and tuned is not None and stock > 25 > 10 > tuned, (stock, tuned)
    assert row["ratio"] == round(stock / tuned, 1)
    # The bench leaves the lab on the last profile, tuned, healthy.
    status = lab_status()
    assert status["healthy"], status["problems"]
