"""The chaos controller: game days of faults against the real lab, measured by probes.

Rooms, each importing only those below it (tests/unit/test_layers.py):

    cli        the command line (`halab chaos ...`)
    views      the table, the HTML report, JUnit, the live terminal view, guided mode
    analysis   availability, the SPOF sweep, the witness cross-check, the bench
    journal    the record of a run: written once, read by everything above
    gameday    the plan (a game day file) and the runner that carries it out
    engine     faults, probes, targets, measures, predictions, heal: what acts on the lab
    schema, errors   the building blocks of strict configuration; what the controller raises

Each kind of thing is defined once, in one registry that everything else reads: faults in
`engine.faults.FAULTS` (with their params and what they leave behind), roles in
`engine.targets.ROLES` (with their resolvers), probes in `engine.probes.PROBES`.
"""
