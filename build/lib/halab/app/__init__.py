"""The orders service: a stateless Flask app run by gunicorn as app1..app3 behind HAProxy."""

from __future__ import annotations

import logging

from flask import Flask, Response

from halab.app.config import Settings
from halab.app.errors import register_error_handlers
from halab.app.ports import Dependencies
from halab.app.routes import bp

log = logging.getLogger(__name__)
# Orders are tiny; anything bigger is a mistake or abuse and gets a 413.
MAX_BODY_BYTES = 16 * 1024


def create_app(settings: Settings | None = None, deps: Dependencies | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if deps is None:
        from halab.app.wiring import build_dependencies  # keeps tests free of real clients

        deps = build_dependencies(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["halab.settings"] = settings
    app.extensions["halab.deps"] = deps
    app.register_blueprint(bp)
    register_error_handlers(app)

    @app.after_request
    def served_by(response: Response) -> Response:
        # Lets clients and the chaos tooling see which replica HAProxy picked.
        response.headers["X-Served-By"] = settings.replica_name
        return response

    if deps.outbox_relay is not None:
        deps.outbox_relay.start()
    return app


def shutdown(app: Flask) -> None:
    """Stops the outbox relay and closes pools and clients; gunicorn calls it at worker exit."""
    deps: Dependencies = app.extensions["halab.deps"]
    if deps.outbox_relay is not None:
        deps.outbox_relay.stop()
    for close in deps.closers:
        try:
            close()
        except Exception as exc:  # one failing close must not keep the others from running
            log.warning("closing %r failed: %s", close, exc)
