"""The chaos controller: game days of faults against the real lab, measured by probes.

Public surface: load and validate a game day (`gameday.load_gameday`), run it
(`runner.GameDayRunner`), undo what a dead controller left behind (`heal.heal`).

Each kind of thing is defined once, in one registry that everything else reads: faults in
`faults.FAULTS` (with their params and what they leave behind), roles in `targets.ROLES` (with
their resolvers), probes in `probes.PROBES`.
"""
