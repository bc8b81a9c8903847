"""`halab chaos ...` and `halab heal`: the command line kept apart from the controller."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from halab.chaos.errors import ConfigError, LabError
from halab.chaos.journal.outcome import EXIT_ABORTED, EXIT_CRASHED, EXIT_FAILED, EXIT_REVERT_FAILED, run_outcome  # noqa: F401 - the codes are chaos run's

DEFAULT_GAMEDAY = Path("gamedays/default.yaml")
DEFAULT_REPORTS = Path("reports")

# `chaos run`'s exit codes beyond 0 (see its help).


def _fail(e: LabError) -> None:
    click.echo(f"error: {e}", err=True)
    sys.exit(e.exit_code)


@click.group()
def chaos() -> None:
    """Game days: break the lab on purpose and measure how it recovers."""


@chaos.command()
@click.argument("file", type=click.Path(path_type=Path), default=DEFAULT_GAMEDAY)
@click.option("--name", "display_name", help="The file's name to show in messages (e.g. its host path).")
def validate(file: Path, display_name: str | None) -> None:
    """Check a game-day FILE completely without touching the lab."""
    from halab.chaos.gameday import load_gameday, validate_command_output

    try:
        gameday = load_gameday(file, display_name=display_name)
    except ConfigError as e:
        _fail(e)
    click.echo(validate_command_output(gameday))


@chaos.command()
@click.option("--file", "file", type=click.Path(path_type=Path), default=DEFAULT_GAMEDAY, show_default=True,
              help="The game-day file.")
@click.option("--name", "display_name", help="The file's name to show in messages.")
@click.option("--scenario", "scenario_names", multiple=True, help="Run only this scenario (repeatable).")
@click.option("--reports", type=click.Path(path_type=Path), default=DEFAULT_REPORTS, show_default=True,
              help="Where the journal goes: <reports>/<run-id>/journal.json and <reports>/latest.")
@click.option("--guided", is_flag=True, help="A workshop: before each scenario, show its mechanism and ask the room "
                                             "for a guess; after it, guess, formula and measurement side by side.")
def run(file: Path, display_name: str | None, scenario_names: tuple[str, ...], reports: Path, guided: bool) -> None:
    """Run a game day (all scenarios, or --scenario NAME).

    \b
    Exit codes:
      0    every scenario passed (or was skipped)
      1    a scenario broke its budget
      3    the game day stopped on an unexpected error (its faults were reverted)
      4    reverting a fault failed: the lab may be left broken, the game day stopped there;
           run `make heal`
      130  interrupted (Ctrl-C, SIGTERM); its faults were reverted
    """
    from halab.chaos.engine.handle import Lab
    from halab.chaos.engine.knobs import collect_knobs
    from halab.chaos.gameday import load_gameday, select
    from halab.chaos.gameday.runner import GameDayRunner
    from halab.chaos.journal import store as journal_mod
    from halab.chaos.views.broadcast import Publisher
    from halab.chaos.views.live import LiveView
    from halab.chaos.views.table import print_report

    if guided and not sys.stdin.isatty():
        click.echo("error: guided mode asks the room questions: run it in a terminal (make chaos GUIDED=1)", err=True)
        sys.exit(2)
    try:
        gameday = load_gameday(file, display_name=display_name)
        scenarios = [select(gameday, n) for n in scenario_names] or list(gameday.scenarios)
        lab = Lab.connect()
    except LabError as e:
        _fail(e)
    except Exception as e:  # Docker unreachable and the like: a sentence, not a traceback
        click.echo(f"error: {e}", err=True)
        sys.exit(1)

    # The probes' clients log every failed connection; during a fault that is the expected
    # outcome, recorded in the journal, and would only scroll the live view away.
    for noisy in ("psycopg.pool", "kafka", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    runner = GameDayRunner(gameday, lab)
    runner.progress.total = len(scenarios)
    started = datetime.now(timezone.utc)
    status, error = "completed", None
    knobs = collect_knobs(lab)
    from halab.chaos.journal.schema import AppService
    from halab.lab import service

    contract = service.current()
    app_service = AppService(name=contract.name, image=contract.image_name)
    hooks: dict = {}
    try:
        # The terminal view, and the same progress published for the dashboard (`make dashboard`),
        # in the reports folder the dashboard reads, wherever this run's journal goes (the bench's).
        with LiveView(runner.progress) as view, Publisher(runner.progress, DEFAULT_REPORTS):
            if guided:
                hooks = _guided_hooks(lab, knobs, view)
                runner.run(scenarios, before_each=hooks["before_each"], after_each=hooks["after_each"])
            else:
                runner.run(scenarios)
    except KeyboardInterrupt:
        status = "aborted"
    except Exception as e:
        # A bug or an unexpected refusal: the faults were reverted on the way out, and the
        # scenarios that finished are still worth a journal. Then fail loudly.
        status, error = "crashed", e
    if status == "completed" and runner.revert_failed:
        status = "stopped"
    journal = journal_mod.build(run_id=runner.run_id, title=gameday.title, file=display_name or str(file),
                                started=started, status=status, knobs=knobs, results=runner.progress.results,
                                revert_error=runner.revert_failed, t0_unix=runner.t0_unix, app_service=app_service)
    path = journal_mod.write(journal, reports)
    print_report(journal)
    if hooks:
        from rich.console import Console

        Console().print(hooks["guide"].scoreboard())
    click.echo(f"journal: {path}")
    _html_report_beside(path)
    from halab.chaos.views import junit
    click.echo(f"junit: {junit.write(journal, path.parent / junit.FILE_NAME)}")
    # Last, below the table: how it ended, and what to do about it.
    message, code = run_outcome(status, journal.summary.fail, revert_failed=runner.revert_failed, error=error)
    if message:
        click.echo(message, err=True)
    sys.exit(code)


def _guided_hooks(lab, knobs: dict, view) -> dict:
    """The runner's hooks for guided mode: the questions before each scenario (with the live view
    paused), the comparison after it."""
    from rich.console import Console

    from halab.chaos.engine import targets
    from halab.chaos.journal import store as journal_mod
    from halab.chaos.views.guided import Guide, StopGuided

    console = Console()
    guide = Guide(knobs, ask=console.input, console=console,
                  holder=lambda t: targets.resolve(lab, t.kind, t.name) if t.kind == "role" else None)

    def before(scenario, index: int, total: int) -> bool:
        with view.paused():
            try:
                guide.before(scenario, index, total)
            except (StopGuided, EOFError):
                console.print("stopped before this scenario; the table below has what ran")
                return False
        return True

    def after(result) -> None:
        with view.paused():
            guide.after(journal_mod.scenario_entry(result, knobs))

    return {"before_each": before, "after_each": after, "guide": guide}


def _html_report_beside(journal_path: Path) -> None:
    """report.html beside the journal, rendered from the written journal. The game day's outcome
    and exit code stand whatever happens here."""
    from halab.chaos.views.html import JournalError, ReportError, VendorError, write_report

    try:
        click.echo(f"report: {write_report(journal_path)}")
    except (JournalError, ReportError, VendorError) as e:
        click.echo(f"no HTML report: {e}", err=True)
    except Exception as e:  # a bug in the renderer must not cost the run its exit code
        click.echo(f"no HTML report: the renderer failed: {e!r}", err=True)


@chaos.command()
@click.argument("journal_file", type=click.Path(path_type=Path), default=DEFAULT_REPORTS / "latest" / "journal.json")
@click.option("--html", "html", is_flag=True, help="Write report.html beside the journal instead (one file, opens offline).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the journal as JUnit XML to this file instead (one test case per scenario).")
def report(journal_file: Path, html: bool, junit_path: Path | None) -> None:
    """Print the results table of a journal again (default: the latest run), render its HTML
    report with --html, or its JUnit XML with --junit FILE."""
    from halab.chaos.journal import schema
    from halab.chaos.views import junit
    from halab.chaos.views.html import JournalError, ReportError, VendorError, write_report
    from halab.chaos.views.table import print_report

    try:
        if html:
            click.echo(f"report: {write_report(journal_file)}")
        elif junit_path:
            click.echo(f"junit: {junit.write(schema.load(journal_file), junit_path)}")
        else:
            print_report(schema.load(journal_file))
    except (JournalError, ReportError, VendorError) as e:
        _fail(e)


@chaos.command()
@click.argument("journal_files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def median(journal_files: tuple[Path, ...]) -> None:
    """Median per scenario over several runs' journals (one run is one sample)."""
    from rich.console import Console

    from halab.chaos.journal import schema
    from halab.chaos.views.table import medians_table

    console = Console() if Console().is_terminal else Console(width=170)
    try:
        journals = [schema.load(p) for p in journal_files]
    except schema.JournalError as e:
        _fail(e)
    console.print(medians_table(journals))


@chaos.command()
@click.argument("journal_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("witness_log", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--run", "run_dirs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A game day's report directory with journal.json and witness.log; repeat it to judge the medians over runs.")
def crosscheck(journal_file: Path | None, witness_log: Path | None, run_dirs: tuple[Path, ...]) -> None:
    """Set each scenario's failover beside what the witness's outside clients saw (curl, psql and
    redis-cli in shell loops, Kafka's VerifiableProducer; `make chaos WITNESS=1`). Exits 1 when
    any pair differs by more than 0.5 s and 15 %: with several --run, any pair of medians."""
    from halab.chaos.analysis.crosscheck import TOLERANCE_FRACTION, TOLERANCE_S, over_runs

    if bool(journal_file) == bool(run_dirs) or bool(journal_file) != bool(witness_log):
        raise click.UsageError("give either JOURNAL_FILE WITNESS_LOG, or one --run DIR per game day")
    pairs = [(journal_file, witness_log)] if journal_file else [(d / "journal.json", d / "witness.log") for d in run_dirs]
    runs = [_crosscheck_run(journal, witness) for journal, witness in pairs]
    rows = runs[0][1]
    if len(runs) > 1:
        for run_id, run_rows in runs:
            agreed = sum(r.agree for r in run_rows)
            click.echo(f"{run_id}: {agreed} of {len(run_rows)} agree")
        rows = over_runs([run_rows for _, run_rows in runs])
        _print_crosscheck(f"failover: journal vs. outside clients, each scenario's medians over the {len(runs)} runs", rows,
                          with_runs=True)
    disagree = [r for r in rows if not r.agree]
    click.echo(f"{len(rows) - len(disagree)} of {len(rows)} {'medians ' if len(runs) > 1 else ''}agree within "
               f"{TOLERANCE_S:g} s or {TOLERANCE_FRACTION:.0%}")
    sys.exit(1 if disagree else 0)


def _crosscheck_run(journal_file: Path, witness_log: Path) -> tuple[str, list]:
    """One game day's pairs, printed as a table: (its run id, the rows)."""
    from halab.chaos.analysis.crosscheck import compare, parse_witness
    from halab.chaos.journal import schema

    for path in (journal_file, witness_log):
        if not path.is_file():
            raise click.ClickException(f"{path} does not exist: a run of `make chaos WITNESS=1` leaves journal.json and witness.log")
    try:
        journal = schema.load(journal_file)
    except schema.JournalError as e:
        raise click.ClickException(str(e)) from None
    if not journal.clock.t0_unix:
        raise click.ClickException(f"{journal_file} has no wall-clock start (clock.t0_unix): it was written before "
                                   "cross-checks existed; run the game day again")
    rows = compare(journal, parse_witness(witness_log.read_text(errors="replace")))
    if not rows:
        raise click.ClickException(f"{witness_log} has no attempt during any fault window of {journal_file}")
    _print_crosscheck(f"failover: journal vs. outside clients ({journal.run_id})", rows)
    return journal.run_id, rows


def _print_crosscheck(title: str, rows: list, with_runs: bool = False) -> None:
    """One row per scenario; with_runs: medians, and how many runs each scenario was in."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    columns = ("scenario", "failover of", *(("runs",) if with_runs else ()), "journal s", "witness s", "attempts", "agree")
    for column in columns:
        table.add_column(column, justify="right" if column.endswith(("s", "attempts")) else "left")
    seconds = lambda v: "never recovered" if v is None else f"{v:.2f}"  # noqa: E731
    for row in rows:
        runs = (str(row.runs),) if with_runs else ()
        table.add_row(row.scenario, ",".join(row.probes), *runs, seconds(row.journal_s), seconds(row.witness_s),
                      str(row.witness_attempts), "[green]yes[/]" if row.agree else "[red]NO[/]")
    console = Console() if Console().is_terminal else Console(width=120)
    console.print(table)


@click.command()
def heal() -> None:
    """Undo anything a dead controller left behind: unpause, reconnect, clear netem, start stopped
    lab containers. Safe to run any time; changes nothing on a healthy lab."""
    from halab.chaos.engine.handle import Lab
    from halab.chaos.engine.heal import heal as do_heal

    try:
        actions = do_heal(Lab.connect())
    except LabError as e:
        _fail(e)
    for line in actions:
        click.echo(line)
    click.echo("nothing to heal: no fault left behind" if not actions else f"healed {len(actions)} thing(s)")


@click.group()
def sweep() -> None:
    """The SPOF sweep (`make spof-sweep` runs gamedays/spof-sweep.yaml; this summarises it)."""


@sweep.command("report")
@click.argument("journal_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sweep_report(journal_file: Path) -> None:
    """Write sweep.json beside JOURNAL_FILE and print the single-failure matrix and the
    double-failure table. Exits 1 when a single failure left clients failing or broke its tier's
    budget, or a double one did not come back by itself."""
    from rich.console import Console

    from halab.chaos.analysis.sweep import tables, verdict_lines, write

    path, summary = write(journal_file)
    console = Console() if Console().is_terminal else Console(width=170)
    for table in tables(summary):
        console.print(table)
    for line in verdict_lines(summary):
        console.print(line)
    console.print(f"sweep: {path}")
    bad = (summary["single_points_of_failure"] or summary["over_budget"]
           or any(not r["recovered_by_itself"] for r in summary["doubles"]))
    sys.exit(1 if bad else 0)


@click.group()
def bench() -> None:
    """Stock timers against tuned ones (`make bench` runs the game days; this summarises them)."""


@bench.command("report")
@click.argument("bench_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
def bench_report(bench_dir: Path) -> None:
    """Summarise BENCH_DIR's journals (<profile>/<run-id>/journal.json) into BENCH_DIR/bench.json
    and print the stock/tuned table."""
    from rich.console import Console

    from halab.chaos.analysis.bench import BenchError, table, write

    try:
        path, summary = write(bench_dir)
    except (BenchError, OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    console = Console() if Console().is_terminal else Console(width=200)
    console.print(table(summary))
    click.echo(f"bench: {path}")


@click.command()
@click.argument("journal_file", required=False, type=click.Path(dir_okay=False, path_type=Path),
                default=DEFAULT_REPORTS / "latest" / "journal.json")
@click.option("--failures-per-year", type=float, default=None, show_default="4",
              help="How often each member fails (a container standing for a machine).")
@click.option("--repair-hours", type=float, default=None, show_default="1", help="How long until a failed member is back.")
@click.option("--slo", "slo_pct", type=float, default=None, show_default="99.95", help="Availability target, in percent.")
@click.option("--window-days", type=float, default=None, show_default="30", help="The SLO's window.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def availability(journal_file: Path, failures_per_year: float | None, repair_hours: float | None,
                 slo_pct: float | None, window_days: float | None, as_json: bool) -> None:
    """Nines, downtime and error budget from a game day's measured failovers (default: the newest)
    and the lab's topology, for an assumed failure rate; RTO and RPO per store."""
    import json

    from halab.chaos.analysis import availability as model
    if not journal_file.exists():
        raise click.ClickException(f"no journal at {journal_file}: run a game day first (make chaos), or name one")
    given = {"failures_per_year": failures_per_year, "repair_hours": repair_hours, "slo_pct": slo_pct,
             "window_days": window_days}
    try:
        assumptions = model.Assumptions(**{k: v for k, v in given.items() if v is not None})
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    from halab.chaos.journal import schema

    try:
        journal = schema.load(journal_file)
    except schema.JournalError as e:
        _fail(e)
    result = model.compute(journal, assumptions)
    if as_json:
        click.echo(json.dumps(result, indent=1, default=str))
    else:
        model.print_availability(result)
