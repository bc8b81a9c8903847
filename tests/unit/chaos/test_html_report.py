"""The HTML game-day report, rendered from a trimmed real journal (fixtures/report_journal.json,
made by fixtures/trim_journal.py from a full game day): every scenario has its section, the
numbers in the page are the journal's, nothing is fetched at view time, and bad input is one
line and a non-zero exit."""

from __future__ import annotations

import copy
import io
import json
import random
import re
import tarfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from halab.chaos import cli
from halab.chaos.journal.schema import Record, parse
from halab.chaos.journal.store import RECORD_FIELDS
from halab.chaos.views import chartlib as vendor
from halab.chaos.views.html import VendorError, _charts, render, write_report
from halab.chaos.views.table import results_table

FIXTURE = Path(__file__).parent / "fixtures" / "report_journal.json"
SCENARIOS = ("vip-holder-kill", "pg-leader-kill", "kafka-leader-kill")

pytestmark = pytest.mark.skipif(not vendor.tarball_path().exists(),
                                reason=f"uPlot is not fetched: run `{vendor.FETCH_COMMAND}` (make test-unit does)")


# ---------------------------------------------------------------------------------------------
# Reading a rendered page
# ---------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a rendered page the tests look at, by their data-* attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.tags: list[tuple[str, dict]] = []
        self.sections: list[str] = []
        self.summary: dict[str, dict[str, str]] = {}  # scenario -> data-field -> text
        self.figures: dict[str, dict[str, str]] = {}  # scenario -> data-key -> value text
        self.ledger: dict[str, dict[str, dict[str, str]]] = {}  # scenario -> store -> field -> text
        self.links: dict[str, str] = {}  # summary: scenario -> href
        self._scenario: str | None = None
        self._row: str | None = None
        self._store: str | None = None
        self._capture: tuple[dict, str] | None = None
        self._figure: str | None = None
        self._in_value = False
        self._data: list[str] = []
        self._in_data = False
        self.feed(html)
        self.data = json.loads("".join(self._data))

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = dict(attrs_list)
        self.tags.append((tag, attrs))
        if tag == "section" and "scenario" in (attrs.get("class") or ""):
            self._scenario = attrs["data-scenario"]
            self.sections.append(attrs["id"])
        if tag == "tr" and "data-scenario" in attrs:
            self._row = attrs["data-scenario"]
            self.summary[self._row] = {}
        if tag == "tr" and "data-store" in attrs:
            self._store = attrs["data-store"]
            self.ledger.setdefault(self._scenario, {})[self._store] = {}
        if tag == "a" and self._row and self._scenario is None:
            self.links[self._row] = attrs.get("href", "")
        if tag == "div" and "figure" in (attrs.get("class") or "").split():
            self._figure = attrs.get("data-key")
        if tag == "span" and attrs.get("class") == "value" and self._figure:
            self._capture = (self.figures.setdefault(self._scenario, {}), self._figure)
        if "data-field" in attrs and tag in ("td", "span"):
            if self._row and self._scenario is None:
                self._capture = (self.summary[self._row], attrs["data-field"])
            elif self._store:
                self._capture = (self.ledger[self._scenario][self._store], attrs["data-field"])
        if tag == "script" and attrs.get("id") == "halab-data":
            self._in_data = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span"):
            self._capture = None
        if tag == "tr":
            self._row = None
        if tag == "table":
            self._store = None
        if tag == "div":
            self._figure = None
        if tag == "script":
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self._data.append(data)
        elif self._capture:
            target, key = self._capture
            target[key] = (target.get(key, "") + data).strip()


@pytest.fixture(scope="module")
def journal() -> dict:
    """The fixture's JSON: the tests compare the page with it, and vary copies of it."""
    return json.loads(FIXTURE.read_text())


def html_of(journal: dict, **kwargs) -> str:
    """The page rendered from a journal's JSON, read through the schema as `chaos report` does."""
    return render(parse(journal), **kwargs)


@pytest.fixture(scope="module")
def page(journal) -> Page:
    return Page(html_of(journal))


def scenario(journal: dict, name: str) -> dict:
    return next(s for s in journal["scenarios"] if s["name"] == name)


def terminal_row(journal: dict, name: str) -> list[str]:
    """The cells of scenario `name` in the terminal table (report.results_table)."""
    console = Console(file=io.StringIO(), width=300)
    console.print(results_table(parse(journal)))
    line = next(line for line in console.file.getvalue().splitlines() if f" {name} " in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------


def test_the_fixture_is_small_and_real(journal):
    assert FIXTURE.stat().st_size < 200_000
    assert [s["name"] for s in journal["scenarios"]] == list(SCENARIOS)


def test_every_scenario_has_its_section_and_a_summary_row_linking_to_it(page, journal):
    assert page.sections == [f"s-{name}" for name in SCENARIOS]
    assert list(page.summary) == list(SCENARIOS)
    assert page.links == {name: f"#s-{name}" for name in SCENARIOS}
    assert set(page.data) == set(page.sections)


def test_every_probe_of_every_scenario_has_its_chart_data_the_judged_ones_first(page, journal):
    for s in journal["scenarios"]:
        chart = page.data[f"s-{s['name']}"]
        judged = s["budget"]["failover_of"]
        assert [p["name"] for p in chart["probes"]] == judged + [p for p in s["measures"]["probes"] if p not in judged]
        for p in chart["probes"]:
            assert p["strip"]["rle"] and len(p["pts"]["t"]) == len(p["pts"]["l"]) == len(p["pts"]["c"])


def test_the_page_fetches_nothing(page):
    """No script, stylesheet, image or font from anywhere: everything is inlined."""
    for tag, attrs in page.tags:
        for name in ("src", "href", "data", "action", "srcset"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), f"<{tag} {name}={value!r}>"
    assert not [attrs for tag, attrs in page.tags if tag == "link"]
    assert not [attrs for tag, attrs in page.tags if tag == "script" and "src" in attrs]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", page.html)


def test_the_chart_library_is_inlined_with_its_licence_notice(page):
    lib = vendor.load()
    assert lib.js in page.html
    assert "Permission is hereby granted, free of charge" in page.html
    assert f"uPlot {vendor.UPLOT_VERSION}" in page.html


def test_the_fixture_page_stays_small(page):
    assert len(page.html.encode()) < 250_000


# ---------------------------------------------------------------------------------------------
# The numbers are the journal's
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_summary_row_is_the_terminal_tables_row(page, journal, name):
    cells = terminal_row(journal, name)
    row = page.summary[name]
    assert [row["failover_s"], row["predicted_failover_s"], row["new_requests_ok_s"], row["longest_stall_s"],
            row["requests_failed"], row["lost"], row["return"], row["back_to_steady_s"]] == cells[2:10]
    assert row["verdict"] == cells[11]


def test_the_figures_are_the_journals(page):
    assert page.figures["pg-leader-kill"] == {
        "failover_s": "9.14 s", "failover_worst_s": "11.94 s", "new_requests_ok_s": "7.66 s", "longest_stall_s": "8.49 s",
        "requests_failed": "271", "lost": "0", "back_to_steady_s": "20.87 s",
    }
    assert page.figures["kafka-leader-kill"]["return_disruption"] == "4.26 s"


def test_the_write_ledger_is_the_journals(page, journal):
    for s in journal["scenarios"]:
        for store, w in s["writes"].items():
            shown = page.ledger[s["name"]][store]
            assert shown == {k: str(w[k]) for k in ("attempted", "acknowledged", "ok", "lost", "unexpected", "recovered", "unknown")}


def test_failover_and_new_requests_are_drawn_where_they_were_measured(page, journal):
    s = scenario(journal, "pg-leader-kill")
    probes = {p["name"]: p for p in page.data["s-pg-leader-kill"]["probes"]}
    for name, pm in s["measures"]["probes"].items():
        figs = {f["kind"]: f for f in probes[name]["figs"]}
        if pm["failover_s"]:
            assert (figs["failover"]["from"], figs["failover"]["to"]) == (0.0, pm["failover_s"])
        else:
            assert "failover" not in figs
        if pm["new_requests_ok_s"]:
            assert figs["newreq"]["at"] == pm["new_requests_ok_s"]
    assert {f["kind"]: f["at"] for f in probes["postgres"]["figs"] if f["kind"] == "budget"} == {"budget": 12.0}


def test_the_events_are_at_their_times(page, journal):
    s = scenario(journal, "pg-leader-kill")
    w = s["window"]
    events = {e["kind"]: e for e in page.data["s-pg-leader-kill"]["events"]}
    assert events["inject"]["t"] == 0.0 and events["inject"]["label"] == "kill pg2"
    assert events["revert"]["t"] == round(w["reverted_at"] - w["injected_at"], 3)
    assert events["role"]["t"] == round(s["role_change"]["first_seen_at"] - w["injected_at"], 3)
    assert events["role"]["label"] == "pg-leader: pg2 → pg1"
    assert events["steady"]["t"] == round(w["reverted_at"] + s["back_to_steady_s"] - w["injected_at"], 3)


def test_no_failed_timed_out_or_slow_request_is_thinned_away(page, journal):
    fields = journal["record_fields"]
    for s in journal["scenarios"]:
        probes = {p["name"]: p for p in page.data[f"s-{s['name']}"]["probes"]}
        for name, rows in s["records"].items():
            bound = s["measures"]["probes"][name]["latency_bound_s"]
            records = [Record(**dict(zip(fields, r))) for r in rows]
            not_good = sum(1 for r in records if _charts.classify(r, bound) != _charts.OK)
            drawn = probes[name]["pts"]["c"]
            assert sum(1 for c in drawn if c != _charts.OK) == not_good
            assert len(probes[name]["x"]) == not_good  # each with its details for the hover line


def test_the_strip_shows_every_cell_as_its_worst_request():
    rows = [Record(t_send=10.0 + i * 0.05, latency=0.01, outcome="ok") for i in range(8)]
    rows[3] = rows[3]._replace(outcome="timeout")  # cell 1
    rows[4] = rows[4]._replace(latency=2.0)  # cell 2: slow
    rows[5] = rows[5]._replace(outcome="refused")  # cell 2: failed beats slow
    classes = [_charts.classify(r, 1.5) for r in rows]
    assert _charts._strip(rows, classes, injected=10.0) == {
        "k0": 0, "rle": [_charts.OK, 1, _charts.TIMEOUT, 1, _charts.FAILED, 1, _charts.OK, 1]}


def test_the_longest_stall_is_placed_between_the_successes_around_it():
    rows = [Record(t_send=t, latency=0.1, outcome="ok") for t in (10.0, 10.5, 14.0, 14.5)]
    rows.insert(2, Record(t_send=11.0, latency=2.0, outcome="error"))
    assert _charts.stall_span(rows, 10.0, 15.0) == (pytest.approx(10.6), pytest.approx(14.1))


def test_a_journals_strings_cannot_end_the_data_island(journal):
    hostile = copy.deepcopy(journal)
    rows = scenario(hostile, "pg-leader-kill")["records"]["postgres"]
    bad = next(r for r in rows if r[2] != "ok")
    bad[RECORD_FIELDS.index("detail")] = "</script><script>alert(1)</script><!--"
    html = html_of(hostile)
    assert "<script>alert(1)" not in html
    assert Page(html).data  # still valid JSON, still one island


# ---------------------------------------------------------------------------------------------
# Ways a run can end
# ---------------------------------------------------------------------------------------------


def variant(journal: dict, **changes) -> dict:
    """The fixture with pg-leader-kill changed, and the summary recounted."""
    j = copy.deepcopy(journal)
    s = scenario(j, "pg-leader-kill")
    top = {k: changes.pop(k) for k in ("status", "revert_error") if k in changes}
    s.update(changes)
    j.update(top)
    j["summary"] = {v: sum(1 for x in j["scenarios"] if x["verdict"] == v) for v in ("pass", "fail", "skipped")}
    return j


def test_a_passing_run_says_so_with_its_exit_code(page):
    assert 'id="verdict" data-exit-code="0"' in page.html
    assert "Every scenario within its budget: 3 scenarios ran" in page.html


def test_a_broken_budget_is_named_in_the_banner_with_its_reason(journal):
    j = variant(journal, verdict="fail", reasons=["failover took 13.1 s for postgres, budget 12 s"])
    html = html_of(j)
    assert 'class="banner fail" id="verdict" data-exit-code="1"' in html
    assert "1 of 3 scenarios broke its budget" in html
    assert '<a href="#s-pg-leader-kill"><b>pg-leader-kill</b></a>: failover took 13.1 s for postgres, budget 12 s' in html


def test_a_failed_revert_wins_the_banner(journal):
    html = html_of(variant(journal, status="stopped", revert_error="pg2 could not be started: no such container"))
    assert 'data-exit-code="4"' in html
    assert "reverting a fault failed: pg2 could not be started: no such container" in html


def test_never_recovered_and_an_inconclusive_read_back_are_shown_as_such(journal):
    j = variant(journal, failover_s=None, verdict="fail", reasons=["postgres never recovered before the run ended"])
    s = scenario(j, "pg-leader-kill")
    s["writes"]["postgres"].update(ok=None, lost=None, unexpected=None, recovered=None, read_error="connection refused")
    page = Page(html_of(j))
    assert page.summary["pg-leader-kill"]["failover_s"] == "never recovered"
    assert page.summary["pg-leader-kill"]["lost"] == "inconclusive/0/0/0"  # pg/rd/kf/http
    assert page.figures["pg-leader-kill"]["failover_s"] == "never recovered"
    assert page.figures["pg-leader-kill"]["lost"] == "inconclusive"
    assert page.ledger["pg-leader-kill"]["postgres"]["lost"] == "inconclusive"
    assert "read-back failed: connection refused" in page.html


def test_lost_writes_are_listed_by_sequence_number(journal):
    j = copy.deepcopy(journal)
    s = scenario(j, "pg-leader-kill")
    s["writes"]["postgres"].update(ok=616, lost=3)
    s["measures"]["probes"]["postgres"]["writes"].update(lost=3, lost_seqs=[151, 152, 160])
    page = Page(html_of(j))
    assert page.ledger["pg-leader-kill"]["postgres"]["lost"] == "3"
    assert page.ledger["pg-leader-kill"]["postgres"]["lost_seqs"] == "151, 152, 160"


def test_a_skipped_scenario_has_its_reason_and_no_chart(journal):
    j = variant(journal, verdict="skipped", reasons=["skipped: netem is not available"], measures=None, window=None,
                records={}, failover_s=None, requests_total=0, requests_failed=0, writes={})
    page = Page(html_of(j))
    assert "s-pg-leader-kill" in page.sections and "s-pg-leader-kill" not in page.data
    assert "skipped: netem is not available" in page.html


def test_a_single_scenario_journal_says_how_to_run_it_again(journal):
    j = copy.deepcopy(journal)
    j["scenarios"] = [scenario(j, "pg-leader-kill")]
    j["knobs"]["profile"] = {"name": "stock", "knobs": {}}
    html = html_of(j, journal_path="reports/x/journal.json")
    assert "<pre>make up PROFILE=stock</pre>" in html
    assert "<pre>make chaos SCENARIO=pg-leader-kill</pre>" in html
    assert "<pre>halab chaos report --html reports/x/journal.json</pre>" in html


# ---------------------------------------------------------------------------------------------
# Size: a full game day stays under 1 MB
# ---------------------------------------------------------------------------------------------


def synthetic_game_day(journal: dict, scenarios: int = 12, seconds: float = 60.0) -> dict:
    """Twelve scenarios of a minute each at the probes' real rates (~48,000 requests), each a
    copy of pg-leader-kill's measures with fresh records: a disruption of 8 s in every probe."""
    rng = random.Random(7)
    template = scenario(journal, "pg-leader-kill")
    out = copy.deepcopy(journal)
    out["scenarios"] = []
    for i in range(scenarios):
        s = copy.deepcopy(template)
        s["name"] = f"scenario-{i}"
        injected = s["window"]["injected_at"]
        for probe, rate in s["probe_rates"].items():
            rows = []
            for n in range(int(seconds * rate)):
                t = injected - 3 + n / rate
                down = injected <= t < injected + 8
                outcome = "error" if down and rng.random() < 0.7 else "ok"
                latency = 2.0 if outcome == "error" else rng.lognormvariate(-4, 1)
                rows.append([round(t, 4), round(latency, 4), outcome, None, n, None, None,
                             "couldn't get a connection after 2.00 sec" if outcome == "error" else None, 0.0])
            s["records"][probe] = rows
        out["scenarios"].append(s)
    return out


def test_a_full_game_day_renders_under_a_megabyte(journal):
    big = synthetic_game_day(journal)
    assert sum(len(r) for s in big["scenarios"] for r in s["records"].values()) > 45_000
    assert len(html_of(big).encode()) < 1_000_000


# ---------------------------------------------------------------------------------------------
# Bad input, on the command line
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def not_json(tmp_path) -> Path:
    path = tmp_path / "journal.json"
    path.write_text("{ this is not json")
    return path


@pytest.fixture
def not_a_journal(tmp_path) -> Path:
    path = tmp_path / "journal.json"
    path.write_text(json.dumps({"title": "a game-day file?", "scenarios": []}))
    return path


@pytest.fixture
def not_text(tmp_path) -> Path:
    path = tmp_path / "journal.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    return path


@pytest.fixture
def unreadable(tmp_path) -> Path:
    path = tmp_path / "journal.json"
    path.symlink_to(path)  # a link to itself: unreadable even as root
    return path


@pytest.fixture
def wrong_shape(tmp_path) -> Path:
    path = tmp_path / "journal.json"
    path.write_text(json.dumps({"run_id": "r1", "scenarios": [{"name": "x"}]}))
    return path


@pytest.mark.parametrize("fixture, message", [
    ("missing", "no journal at {path}: give a run's journal.json, e.g. reports/latest/journal.json"),
    ("not_json", "{path} is not a game-day journal: not JSON (Expecting property name enclosed in double quotes: line 1 column 3 (char 2))"),
    ("not_a_journal", "{path} is not a game-day journal: it has no run_id"),
    ("not_text", "{path} is not a game-day journal: not UTF-8 text"),
    ("unreadable", "cannot read {path}: Too many levels of symbolic links"),
    ("wrong_shape", "{path} is not a journal this version of halab can read (scenarios[0].fault: missing; and 1 more)"),
])
def test_bad_input_is_one_line_and_exit_1(request, tmp_path, fixture, message):
    path = tmp_path / "nowhere" / "journal.json" if fixture == "missing" else request.getfixturevalue(fixture)
    result = CliRunner(mix_stderr=False).invoke(cli.chaos, ["report", "--html", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {message.format(path=path)}\n"
    assert result.stdout == ""
    assert not (path.parent / "report.html").exists()


def test_the_terminal_table_refuses_a_non_journal_the_same_way(not_a_journal):
    result = CliRunner(mix_stderr=False).invoke(cli.chaos, ["report", str(not_a_journal)])
    assert (result.exit_code, result.stderr) == (1, f"error: {not_a_journal} is not a game-day journal: it has no run_id\n")


def test_report_html_is_written_beside_the_journal(tmp_path):
    run_dir = tmp_path / "20261122T230934Z-2bf9"
    run_dir.mkdir()
    (run_dir / "journal.json").write_bytes(FIXTURE.read_bytes())
    result = CliRunner(mix_stderr=False).invoke(cli.chaos, ["report", "--html", str(run_dir / "journal.json")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"report: {run_dir / 'report.html'}\n"
    assert Page((run_dir / "report.html").read_text()).sections == [f"s-{name}" for name in SCENARIOS]
    assert write_report(run_dir) == run_dir / "report.html"  # a run's folder will do too


def test_chaos_runs_hook_reports_a_renderer_failure_without_raising(tmp_path, not_json, capsys):
    cli._html_report_beside(not_json)
    assert capsys.readouterr().err.startswith(f"no HTML report: {not_json} is not a game-day journal")
    (tmp_path / "journal.json").write_bytes(FIXTURE.read_bytes())
    cli._html_report_beside(tmp_path / "journal.json")
    assert capsys.readouterr().out == f"report: {tmp_path / 'report.html'}\n"


# ---------------------------------------------------------------------------------------------
# The charting library
# ---------------------------------------------------------------------------------------------


def test_a_missing_chart_library_names_the_command_that_fetches_it(tmp_path, monkeypatch, journal):
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    with pytest.raises(VendorError) as e:
        html_of(journal)
    assert str(e.value) == (f"the charting library uPlot {vendor.UPLOT_VERSION} is not in {tmp_path}: "
                            "fetch it with `python -m halab.chaos.views.chartlib` (needs registry.npmjs.org once)")


def test_a_tampered_chart_library_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/dist/uPlot.iife.min.js")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"evil;"))
    vendor.tarball_path().write_bytes(data.getvalue())
    with pytest.raises(VendorError, match="fails its integrity check .* delete it and run `python -m halab.chaos.views.chartlib`"):
        vendor.load()


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_fetch_keeps_only_a_tarball_that_matches_the_pinned_hash(tmp_path, monkeypatch):
    good = vendor.tarball_path().read_bytes()
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    monkeypatch.setattr(vendor.urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"not the tarball"))
    with pytest.raises(VendorError, match=f"{re.escape(vendor.UPLOT_URL)} fails its integrity check"):
        vendor.fetch()
    assert not vendor.tarball_path().exists()
    urls = []
    monkeypatch.setattr(vendor.urllib.request, "urlopen", lambda url, timeout: urls.append(url) or FakeResponse(good))
    assert vendor.fetch() == tmp_path / f"uplot-{vendor.UPLOT_VERSION}.tgz"
    assert vendor.fetch() == tmp_path / f"uplot-{vendor.UPLOT_VERSION}.tgz"  # already there: not fetched again
    assert urls == [vendor.UPLOT_URL]
    assert vendor.load().version == vendor.UPLOT_VERSION


def test_a_scenario_that_never_recovered_shows_the_last_log_lines_of_what_was_still_wrong(journal):
    stuck = copy.deepcopy(journal)
    stuck["scenarios"][1]["recovery_logs"] = {"pg3": ["FATAL:  requested starting point 0/5000000 on timeline 5 is not in this server's history <b>"]}
    html = html_of(stuck)
    assert "pg3: its last distinct log lines" in html
    assert "not in this server&#39;s history &lt;b&gt;" in html  # escaped, as any text from the lab
    assert "its last distinct log lines" not in html_of(journal)  # a scenario that recovered has none
