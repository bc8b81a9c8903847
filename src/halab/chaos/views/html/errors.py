"""What rendering a report raises, each with a sentence a person can act on (the CLI prints it
on one line, no traceback):

    LabError             halab's base (halab.lab.errors)
    +-- ReportError      no report could be rendered
    +-- VendorError      the charting library is missing, corrupt, or could not be fetched
                         (halab.chaos.views.chartlib, which the dashboard serves too)
    +-- JournalError     the journal is missing, unreadable, or not a game-day journal
                         (halab.chaos.journal.schema: every reader of journals raises it)
"""

from __future__ import annotations

from halab.chaos.journal.schema import JournalError
from halab.chaos.views.chartlib import VendorError
from halab.lab.errors import LabError

__all__ = ["JournalError", "ReportError", "VendorError"]


class ReportError(LabError):
    """No report could be rendered."""
