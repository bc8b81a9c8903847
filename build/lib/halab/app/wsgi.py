"""WSGI entry point: `gunicorn -c python:halab.app.gunicorn_conf halab.app.wsgi:app`."""

import logging

from halab.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
# kafka-python logs each refused socket at ERROR; the outbox relay reports every failed batch.
logging.getLogger("kafka").setLevel(logging.CRITICAL)

app = create_app()
