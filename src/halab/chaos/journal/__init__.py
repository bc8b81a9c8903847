"""The journal: the record of a game day, written once and read by every view and analysis."""
