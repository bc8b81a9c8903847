"""The game-day report as one self-contained HTML file, rendered from a run's journal alone.

    halab chaos report --html [JOURNAL]     writes report.html beside the journal

`chaos run` writes one beside every journal. The page inlines everything it needs (its styles,
its script, the charting library and the data), so it opens offline from disk in any browser.
The charting library is fetched once at build time: `python -m halab.chaos.views.chartlib`.
"""

from __future__ import annotations

from pathlib import Path

from halab.chaos.journal.schema import Journal
from halab.chaos.views.html._render import render as render_page
from halab.chaos.views.html._view import load_journal as load
from halab.chaos.views.html.errors import JournalError, ReportError, VendorError

__all__ = ["JournalError", "ReportError", "VendorError", "REPORT_NAME", "load_journal", "render", "write_report"]

REPORT_NAME = "report.html"


def load_journal(path: Path) -> Journal:
    """The journal at `path` (or in the run folder `path`); JournalError when it is not one."""
    return load(path)


def render(journal: Journal, *, journal_path: str = "reports/latest/journal.json") -> str:
    """The page for `journal` (as read from its JSON); `journal_path` is how the page names it
    in the command that renders it again."""
    return render_page(journal, journal_path=journal_path)


def write_report(journal_path: Path) -> Path:
    """Render the journal at `journal_path` into report.html beside it; returns that path."""
    journal = load_journal(journal_path)
    if journal_path.is_dir():
        journal_path = journal_path / "journal.json"
    html = render(journal, journal_path=str(journal_path))
    out = journal_path.with_name(REPORT_NAME)
    tmp = out.with_suffix(".tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
    except OSError as e:
        raise ReportError(f"cannot write {out}: {e.strerror or e}") from None
    return out
