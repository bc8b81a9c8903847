"""What rendering a report raises, each with a sentence a person can act on (the CLI prints it
on one line, no traceback):

    LabError             halab's base (halab.lab.errors)
    +-- ReportError      no report could be rendered
        +-- JournalError the journal is missing, unreadable, or not a game-day journal
        +-- VendorError  the charting library is missing, corrupt, or could not be fetched
"""

from __future__ import annotations

from halab.lab.errors import LabError


class ReportError(LabError):
    """No report could be rendered."""


class JournalError(ReportError):
    """The journal is missing, unreadable, or not a game-day journal."""


class VendorError(ReportError):
    """The charting library is missing, fails its integrity check or could not be fetched."""
