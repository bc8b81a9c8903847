"""The gthread worker, but the errors gunicorn answers itself are JSON like the app's own.

A request gunicorn cannot parse (a header over limit_request_field_size, a request line over
limit_request_line, a malformed header) never reaches Flask: gunicorn writes an HTML page itself.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        # gunicorn still picks the status (400, 431, ...) and logs; only its page is replaced.
        as_json = JsonErrorSocket(client, lambda status: self.error_message(exc, status))
        super().handle_error(req, as_json, addr, exc)

    def error_message(self, exc: BaseException, status: int) -> str:
        if status >= 500:
            return "internal error; the details are in this replica's log"
        if isinstance(exc, LimitRequestHeaders):
            return (
                f"request headers are too large: at most {self.cfg.limit_request_fields} header"
                f" fields of at most {self.cfg.limit_request_field_size} bytes each"
            )
        if isinstance(exc, LimitRequestLine):
            return f"request line is too long: at most {self.cfg.limit_request_line} bytes"
        return f"malformed HTTP request: {exc}"


class JsonErrorSocket:
    """The client socket, except that the error page written to it becomes {"error": ...}."""

    def __init__(self, sock: socket.socket, message: Callable[[int], str]) -> None:
        self._sock = sock
        self._message = message

    def __getattr__(self, name: str) -> Any:
        # gunicorn's write_nonblock also calls gettimeout() and setblocking().
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        # handle_error's one write is a whole response: b"HTTP/1.1 431 Request Header ...".
        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        _, status, reason = status_line.split(" ", 2)
        body = json.dumps({"error": self._message(int(status))}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._sock.sendall(head.encode("latin-1") + body)
