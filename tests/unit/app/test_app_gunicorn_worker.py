"""Requests gunicorn rejects before Flask sees them get JSON errors, with gunicorn's status."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from gunicorn import util
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http.parser import RequestParser

from halab.app import gunicorn_conf
from halab.app.gunicorn_worker import JsonErrorWorker

GET = b"GET /healthz HTTP/1.1\r\nHost: lab\r\n"
HEADER_RULE = "request headers are too large: at most 100 header fields of at most 8190 bytes each"


@dataclass(frozen=True)
class RejectedCase:
    name: str
    raw: bytes
    status_line: str
    error: str


CASES = [
    RejectedCase(
        "header field over 8190 bytes", GET + b"X-Big: " + b"a" * 9_000 + b"\r\n\r\n",
        "HTTP/1.1 431 Request Header Fields Too Large", HEADER_RULE,
    ),
    RejectedCase(
        "more than 100 header fields",
        GET + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",
        "HTTP/1.1 431 Request Header Fields Too Large", HEADER_RULE,
    ),
    RejectedCase(
        "request line over 4094 bytes", b"GET /" + b"a" * 5_000 + b" HTTP/1.1\r\n\r\n",
        "HTTP/1.1 400 Bad Request", "request line is too long: at most 4094 bytes",
    ),
    RejectedCase(
        "NUL in a header value", GET + b"Idempotency-Key: a\x00b\r\n\r\n",
        "HTTP/1.1 400 Bad Request",
        "malformed HTTP request: Invalid HTTP Header: 'IDEMPOTENCY-KEY'",
    ),
    RejectedCase(
        "space in a header name", GET + b"Idempotency Key: k\r\n\r\n",
        "HTTP/1.1 400 Bad Request",
        "malformed HTTP request: Invalid HTTP header name: 'Idempotency Key'",
    ),
]


@pytest.fixture
def worker() -> Iterator[JsonErrorWorker]:
    cfg = Config()
    worker = JsonErrorWorker(0, os.getpid(), [], None, 30, cfg, Logger(cfg))
    yield worker
    worker.tmp.close()  # the heartbeat file every gunicorn worker opens


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    client.settimeout(5)
    server.settimeout(5)
    yield client, server
    client.close()
    server.close()


def respond_to(worker: JsonErrorWorker, server: socket.socket, client: socket.socket) -> bytes:
    """Parses what the client sent as gunicorn would, and lets the worker answer the error."""
    with pytest.raises(Exception) as rejected:
        next(RequestParser(worker.cfg, server, ("10.77.0.11", 40000)))
    worker.handle_error(None, server, ("10.77.0.11", 40000), rejected.value)
    server.shutdown(socket.SHUT_WR)
    return b"".join(iter(lambda: client.recv(65536), b""))


def parse(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status_line, headers, body


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rejected_request_gets_json_with_gunicorns_status(
    worker: JsonErrorWorker, connection: tuple[socket.socket, socket.socket], case: RejectedCase
) -> None:
    client, server = connection
    client.sendall(case.raw)

    status_line, headers, body = parse(respond_to(worker, server, client))

    assert status_line == case.status_line
    assert headers["Content-Type"] == "application/json"
    assert headers["Connection"] == "close"
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body) == {"error": case.error}


def test_unexpected_error_is_a_json_500_without_details(
    worker: JsonErrorWorker, connection: tuple[socket.socket, socket.socket]
) -> None:
    client, server = connection

    worker.handle_error(None, server, ("10.77.0.11", 40000), RuntimeError("secret detail"))
    server.shutdown(socket.SHUT_WR)
    status_line, _, body = parse(b"".join(iter(lambda: client.recv(65536), b"")))

    assert status_line == "HTTP/1.1 500 Internal Server Error"
    assert json.loads(body) == {"error": "internal error; the details are in this replica's log"}


def test_gunicorn_conf_runs_the_json_error_worker() -> None:
    assert util.load_class(gunicorn_conf.worker_class) is JsonErrorWorker
