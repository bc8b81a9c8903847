"""JSON error responses: clients get a sentence saying what went wrong, never a traceback."""

from __future__ import annotations

import logging
import math

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from halab.app.orders import InvalidRequest
from halab.app.ports import DependencyUnavailable
from halab.app.resilience import BREAKER_RESET_TIMEOUT_S
from halab.app.service import IdempotencyConflict

log = logging.getLogger(__name__)
ErrorResponse = tuple[Response, int, dict[str, str]]
# Retry-After takes whole seconds; by then a breaker has let its trial request through (its reset
# timeout is under a second).
RETRY_AFTER_S = str(math.ceil(BREAKER_RESET_TIMEOUT_S))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(InvalidRequest, _invalid_request)
    app.register_error_handler(IdempotencyConflict, _idempotency_conflict)
    app.register_error_handler(DependencyUnavailable, _dependency_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> ErrorResponse:
    return jsonify(error=message), status, headers or {}


def _invalid_request(exc: InvalidRequest) -> ErrorResponse:
    return _error(str(exc), 400)


def _idempotency_conflict(exc: IdempotencyConflict) -> ErrorResponse:
    return _error(str(exc), 422)


def _dependency_unavailable(exc: DependencyUnavailable) -> ErrorResponse:
    log.warning("%s %s: %s", request.method, request.path, exc)
    return _error(f"{exc}; retry shortly", 503, {"Retry-After": RETRY_AFTER_S})


def _http_error(exc: HTTPException) -> ErrorResponse:
    status = exc.code or 500
    if isinstance(exc, NotFound):
        return _error(f"no route matches {request.method} {request.path}", status)
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        message = f"method {request.method} is not allowed on {request.path}; allowed: {allowed}"
        return _error(message, status, {"Allow": allowed})
    if isinstance(exc, RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return _error(f"request body must be at most {limit} bytes", status)
    return _error(exc.description or exc.name, status)


def _unexpected_error(exc: Exception) -> ErrorResponse:
    log.exception("unhandled error in %s %s", request.method, request.path)
    return _error("internal error; the details are in this replica's log", 500)
