"""The chaos controller: game days of faults against the real lab, measured by probes.

Public surface: load and validate a game day (`load_gameday`), run it (`run_gameday`), undo
what a dead controller left behind (`heal`).
"""
