"""Gunicorn settings for app1..app3.

Run as: gunicorn -c python:halab.app.gunicorn_conf halab.app.wsgi:app
"""

from typing import Any

bind = "0.0.0.0:8000"
# Threads, not more processes: requests mostly wait on Postgres/Redis, and every process opens
# its own pools and outbox relay.
workers = 2
# gthread, but the bad requests gunicorn rejects itself (e.g. a header over 8190 bytes) get JSON.
worker_class = "halab.app.gunicorn_worker.JsonErrorWorker"
threads = 4
# A stopped container should hand its requests over quickly; HAProxy retries elsewhere.
graceful_timeout = 5
timeout = 30
# preload_app stays False: pools and the relay thread must be created after the fork, per worker.
preload_app = False
accesslog = None  # per-request logs drown the failover story; HAProxy logs requests already
errorlog = "-"
loglevel = "info"


def worker_exit(server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    if app is not None:
        from halab.app import shutdown

        shutdown(app)
