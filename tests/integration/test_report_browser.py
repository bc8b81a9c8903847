"""The HTML report in a real browser: headless Chromium opens report.html from disk, with no
network, and the page must draw every scenario's charts without a console error and show the
journal's numbers. PNGs of the page are kept for a person to look at.

Needs Chromium and its driver (Debian: `apt-get install chromium chromium-driver`), not Docker.
By default it checks the unit tests' trimmed journal; to check others, name them:

    HALAB_REPORT_JOURNAL=reports/latest/journal.json .venv/bin/python -m pytest -m integration -k report_browser -s

`check_report_in_browser` is the reusable part, e.g. for the report of a game day a test has
just run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from halab.chaos.engine.measure import format_seconds
from halab.chaos.journal.facts import verdict_label
from halab.chaos.journal.schema import parse
from halab.chaos.views.html import write_report
from halab.chaos.views.table import results_table

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "unit" / "chaos" / "fixtures" / "report_journal.json"
CHROMEDRIVER = Path(os.environ.get("HALAB_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM = os.environ.get("HALAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
MAX_REPORT_BYTES = 1_000_000
OK_RGB, FAILED_RGB = (0, 158, 115), (213, 94, 0)  # the strip's Okabe-Ito colours


def journals() -> list[Path]:
    named = [Path(p) for p in os.environ.get("HALAB_REPORT_JOURNAL", "").split(os.pathsep) if p]
    return named or [FIXTURE]


def browser():
    """Headless Chromium through chromedriver, its console kept."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--window-size=1600,1400"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def terminal_cells(journal: dict) -> dict[str, list[str]]:
    """Each scenario's row of the terminal table, which the page's summary repeats."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=300)
    console.print(results_table(parse(journal)))
    lines = console.file.getvalue().splitlines()
    rows = {}
    for s in journal["scenarios"]:
        line = next(line for line in lines if f" {s['name']} " in line)
        rows[s["name"]] = [cell.strip() for cell in line.split("│")[1:-1]]
    return rows


_PAGE_FACTS = """
const q = (root, sel) => Array.from(root.querySelectorAll(sel));
const text = (el) => el ? el.textContent.trim() : null;
function pixels(canvas, rgb) {
  const ctx = canvas.getContext("2d"), d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) n++;
  return n;
}
return {
  rendered: document.documentElement.getAttribute("data-charts-rendered"),
  resources: performance.getEntriesByType("resource").map(e => e.name),
  exitCode: document.getElementById("verdict").getAttribute("data-exit-code"),
  order: q(document, "section.scenario").map(sec => sec.dataset.scenario),
  summary: Object.fromEntries(q(document, "#summary tbody tr").map(tr => [tr.dataset.scenario,
    Object.fromEntries(q(tr, "[data-field]").map(td => [td.dataset.field, text(td)]))])),
  scenarios: Object.fromEntries(q(document, "section.scenario").map(sec => [sec.dataset.scenario, {
    figures: Object.fromEntries(q(sec, ".figure").map(f => [f.dataset.key, text(f.querySelector(".value"))])),
    ledger: Object.fromEntries(q(sec, "tr[data-store]").map(tr => [tr.dataset.store,
      Object.fromEntries(q(tr, "[data-field]").map(td => [td.dataset.field, text(td)]))])),
    charts: q(sec, ".probe-chart").map(box => {
      const canvas = box.querySelector("canvas");
      return {probe: box.dataset.probe, width: canvas ? canvas.width : 0, height: canvas ? canvas.height : 0,
              ok: canvas ? pixels(canvas, arguments[0]) : 0, failed: canvas ? pixels(canvas, arguments[1]) : 0};
    }),
  }])),
};
"""

# The first request drawn that was not good, and where it is on screen, for the hover check.
_A_BAD_POINT = """
for (const [anchor, plots] of Object.entries(window.halabReport.charts)) {
  const probes = window.halabReport.data[anchor].probes;
  for (let i = 0; i < plots.length; i++) {
    const u = plots[i];
    for (let series = 4; series >= 2; series--) {  // timed out, failed, slow (series 1 is ok)
      const j = u.data[series].findIndex(v => v !== null && v !== undefined);
      if (j < 0) continue;
      u.over.scrollIntoView({block: "center"});
      return {anchor: anchor, probe: probes[i].name, left: u.valToPos(u.data[0][j], "x"), top: u.valToPos(u.data[series][j], "y"),
              width: u.over.clientWidth, height: u.over.clientHeight, index: i};
    }
  }
}
return null;
"""


def check_report_in_browser(report: Path, journal: dict, screenshot: Path) -> None:
    """Open `report` (rendered from `journal`) in headless Chromium and assert: no console
    errors, nothing fetched, every measured scenario's charts drawn (one per probe, with its
    strip's colours on the canvas), the summary, figures and write ledgers equal the journal's
    numbers, and the hover line names a request. Saves a PNG of the page's top at `screenshot`,
    and one of its slowest failover beside it (`<stem>-<scenario>.png`)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    assert report.stat().st_size < MAX_REPORT_BYTES, f"{report} is {report.stat().st_size} bytes"
    driver = browser()
    try:
        driver.get(report.resolve().as_uri())
        for _ in range(50):
            if driver.execute_script("return document.documentElement.getAttribute('data-charts-rendered')") is not None:
                break
            time.sleep(0.1)
        facts = driver.execute_script(_PAGE_FACTS, list(OK_RGB), list(FAILED_RGB))
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not errors, f"console errors: {errors}"
        assert facts["resources"] == [], f"the page fetched {facts['resources']}"

        measured = [s for s in journal["scenarios"] if s.get("measures") and s.get("window")]
        assert facts["rendered"] == str(len(measured))
        assert facts["order"] == [s["name"] for s in journal["scenarios"]]
        for s in measured:
            charts = facts["scenarios"][s["name"]]["charts"]
            assert sorted(c["probe"] for c in charts) == sorted(s["measures"]["probes"]), s["name"]
            for c in charts:
                assert c["width"] > 400 and c["height"] > 100, (s["name"], c)
                assert c["ok"] > 0, f"{s['name']} {c['probe']}: no ok colour drawn"
                outcome = (journal.get("record_fields") or []).index("outcome")
                failed = sum(1 for r in s["records"][c["probe"]] if r[outcome] not in ("ok", "timeout"))
                assert (c["failed"] > 0) == (failed > 0), f"{s['name']} {c['probe']}: {failed} failed, colour drawn {c['failed']}"

        _check_numbers(facts, journal)
        _check_hover(driver, ActionChains, By)

        # A whole page of 12 scenarios is ~16,000 px: a minute to capture on 2 cores. The top
        # (verdict, summary) and the scenario that took longest to fail over tell a person more.
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(screenshot))
        if measured:
            worst = max(measured, key=lambda s: -1 if s["failover_s"] is None else s["failover_s"])
            driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", f"s-{worst['name']}")
            time.sleep(0.2)
            assert driver.save_screenshot(str(screenshot.with_name(f"{screenshot.stem}-{worst['name']}.png")))
    finally:
        driver.quit()


def _check_numbers(facts: dict, journal: dict) -> None:
    terminal = terminal_cells(journal)
    for s in journal["scenarios"]:
        row = facts["summary"][s["name"]]
        assert [row["failover_s"], row["predicted_failover_s"], row["new_requests_ok_s"], row["longest_stall_s"],
                row["requests_failed"], row["lost"], row["return"], row["back_to_steady_s"]] == terminal[s["name"]][2:10], s["name"]
        assert row["verdict"] == verdict_label(parse(journal).scenario(s["name"])), s["name"]  # "pass on run 2" when a rerun decided it
        shown = facts["scenarios"][s["name"]]
        if s.get("measures"):
            expected = "never recovered" if s["failover_s"] is None else f"{format_seconds(s['failover_s'])} s"
            assert shown["figures"]["failover_s"] == expected, s["name"]
            assert shown["figures"]["requests_failed"] == str(s["requests_failed"]) or not s["requests_total"]
        for store, w in s["writes"].items():
            for field in ("attempted", "acknowledged", "ok", "lost", "unexpected", "recovered", "unknown"):
                value = w[field]
                assert shown["ledger"][store][field] == ("inconclusive" if value is None else str(value)), (s["name"], store, field)
    exit_code = 0 if not any(s["verdict"] == "fail" for s in journal["scenarios"]) else 1
    if journal.get("status", "completed") == "completed" and not journal.get("revert_error"):
        assert facts["exitCode"] == str(exit_code)


def _check_hover(driver, ActionChains, By) -> None:
    point = driver.execute_script(_A_BAD_POINT)
    if point is None:  # every request of the run was good: nothing to point at
        return
    time.sleep(0.2)
    overs = driver.find_elements(By.CSS_SELECTOR, f'[data-chart="{point["anchor"]}"] .u-over')
    over = overs[point["index"]]
    ActionChains(driver).move_to_element_with_offset(
        over, int(point["left"] - point["width"] / 2), int(point["top"] - point["height"] / 2)).perform()
    time.sleep(0.2)
    line = driver.find_element(By.CSS_SELECTOR, f'[data-hover="{point["anchor"]}"]').text
    assert line.startswith(point["probe"]) and any(w in line for w in ("failed", "timed out", "slow")), line


@pytest.mark.integration
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER.exists()),
                    reason="needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)")
@pytest.mark.parametrize("journal_path", journals(), ids=lambda p: p.parent.name if p.name == "journal.json" else p.stem)
def test_report_in_browser(journal_path: Path, tmp_path: Path) -> None:
    journal = json.loads(journal_path.read_text())
    run_dir = tmp_path / journal["run_id"]
    run_dir.mkdir()
    (run_dir / "journal.json").write_text(json.dumps(journal))
    report = write_report(run_dir / "journal.json")
    screenshot = run_dir / "report.png"
    check_report_in_browser(report, journal, screenshot)
    print(f"\n{report} ({report.stat().st_size} bytes); screenshots {run_dir}/report*.png")
    if os.environ.get("HALAB_PICTURES") and journal_path == FIXTURE:  # `make pictures`: the README's picture
        (worst,) = run_dir.glob("report-*.png")
        shutil.copyfile(worst, ROOT / "docs" / "report.png")
