"""bench.json from the journals `make bench` leaves, and the table rendered from it."""

import json

import pytest
from click.testing import CliRunner
from rich.console import Console

from halab.chaos.analysis import bench
from halab.cli import main


def scenario(name, failover, failed=0, lost=0, verdict="pass", new=None):
    return {"name": name, "fault": "kill", "failover_s": failover, "new_requests_ok_s": new if new is not None else failover,
            "longest_stall_s": None, "requests_failed": failed, "role_change": {"role": "x"} if failover else None,
            "verdict": verdict, "writes": {"postgres": {"lost": lost}, "redis": {"lost": 0}}}


def write_journal(root, profile, run_id, scenarios):
    path = root / profile / run_id / "journal.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"run_id": run_id, "machine": {"cpus": 2, "memory_gib": 23.5, "cpu_model": "Xeon"},
                                "knobs": {"profile": {"name": profile, "knobs": {"HALAB_PATRONI_TTL": "30"}}},
                                "scenarios": scenarios}))


@pytest.fixture
def bench_dir(tmp_path):
    root = tmp_path / "reports" / "bench" / "20261123T000000Z"
    for i, (stock_pg, tuned_pg) in enumerate([(34.0, 6.5), (31.0, 7.5), (36.5, 7.0)]):
        write_journal(root, "stock", f"s{i}", [scenario("idle-control", 0.0), scenario("pg-leader-kill", stock_pg, failed=600, verdict="fail")])
        write_journal(root, "tuned", f"t{i}", [scenario("idle-control", 0.0), scenario("pg-leader-kill", tuned_pg, failed=120)])
    return root


def test_medians_spread_and_ratio_per_scenario(bench_dir):
    summary = bench.collect(bench_dir)
    assert summary["profiles"]["stock"]["runs"] == 3 and summary["machine"]["cpus"] == 2
    pg = next(r for r in summary["scenarios"] if r["scenario"] == "pg-leader-kill")
    assert pg["stock"]["median_failover_s"] == 34.0 and pg["stock"]["spread_s"] == [31.0, 36.5]
    assert pg["tuned"]["median_failover_s"] == 7.0 and pg["tuned"]["median_failed"] == 120
    assert pg["ratio"] == pytest.approx(4.9)
    assert [r["run_id"] for r in pg["tuned"]["runs"]] == ["t0", "t1", "t2"]
    idle = next(r for r in summary["scenarios"] if r["scenario"] == "idle-control")
    assert idle["ratio"] is None  # 0 / 0 is no ratio


def test_a_run_that_never_recovered_leaves_no_median(bench_dir):
    write_journal(bench_dir, "stock", "s9", [scenario("pg-leader-kill", None, verdict="fail")])
    pg = next(r for r in bench.collect(bench_dir)["scenarios"] if r["scenario"] == "pg-leader-kill")
    assert pg["stock"]["never_recovered"] == 1 and pg["stock"]["median_failover_s"] is None and pg["ratio"] is None
    text = render(bench.collect(bench_dir))
    assert "never (1 of 4)" in text


def test_an_inconclusive_read_back_is_never_shown_as_zero_lost(bench_dir):
    broken = scenario("pg-leader-kill", 7.1)
    broken["writes"]["postgres"]["lost"] = None
    write_journal(bench_dir, "tuned", "t9", [broken])
    pg = next(r for r in bench.collect(bench_dir)["scenarios"] if r["scenario"] == "pg-leader-kill")
    assert pg["tuned"]["lost_max"]["postgres"] == "inconclusive"


def render(summary):
    console = Console(width=250, record=True)
    console.print(bench.table(summary))
    return console.export_text()


def test_the_command_writes_bench_json_and_latest_and_prints_the_table(bench_dir):
    result = CliRunner().invoke(main, ["bench", "report", str(bench_dir)])
    assert result.exit_code == 0, result.output
    written = json.loads((bench_dir / "bench.json").read_text())
    assert written["bench_id"] == "20261123T000000Z"
    assert (bench_dir.parent / "latest").resolve() == bench_dir.resolve()
    text = render(written)
    assert "34.0 (31.0-36.5)" in text and "7.0 (6.5-7.5)" in text and "4.9×" in text


def test_an_empty_bench_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["bench", "report", str(tmp_path)])
    assert result.exit_code == 1 and "no journals under" in result.output and "Traceback" not in result.output
