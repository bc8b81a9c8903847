"""The live web dashboard (`make dashboard`): what a workshop's one screen shows while the lab is
broken on purpose, and the buttons a trainer breaks it with.

    watch       the lab's status, looked at again and again in the background
    catalogue   what may be injected (a game day's scenarios, any fault on any target) and how a
                request becomes a one-scenario game day, checked like a game-day file
    controller  the fault and halt buttons: one fault at a time on the game day's runner, each
                with its own deadline, recorded in a journal and a report
    app         the FastAPI application: the page, the JSON API, the server-sent events
    cli         `halab dashboard`

A game day that `make chaos` runs in another container shows here too: it publishes its
progress (`halab.chaos.views.broadcast`), which the dashboard reads.
"""
