"""HTTP endpoints of the orders service."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from halab.app.orders import (
    InvalidRequest,
    parse_customer,
    parse_idempotency_key,
    parse_new_order,
    parse_order_id,
)
from halab.app.config import Settings
from halab.app.ports import Dependencies, DependencyUnavailable
from halab.app.service import place_order, read_your_writes

bp = Blueprint("orders", __name__)
RELAY_DISABLED = "not checked: the outbox relay is disabled in this worker (HALAB_OUTBOX_RELAY=0)"


def _settings() -> Settings:
    return current_app.extensions["halab.settings"]


def _deps() -> Dependencies:
    return current_app.extensions["halab.deps"]


@bp.post("/orders")
def create_order() -> tuple[Response, int, dict[str, str]]:
    new_order = parse_new_order(_json_body())
    key = parse_idempotency_key(request.headers.get("Idempotency-Key"))
    deps = _deps()
    placed = place_order(
        deps.orders, deps.carts, new_order, idempotency_key=key, served_by=_settings().replica_name
    )
    payload = placed.order.to_json()
    if placed.replayed:
        return jsonify(payload), 200, {"Idempotent-Replay": "true"}
    payload["cart"] = placed.cart
    return jsonify(payload), 201, {"Location": f"/orders/{placed.order.id}"}


@bp.get("/orders/<raw_id>")
def get_order(raw_id: str) -> tuple[Response, int]:
    order_id = parse_order_id(raw_id)
    order, source = read_your_writes(_deps().orders, order_id)
    if order is None:
        return jsonify(error=f"order {order_id} does not exist"), 404
    return jsonify(order.to_json() | {"read_from": source}), 200


@bp.get("/cart/<customer>")
def get_cart(customer: str) -> Response:
    customer = parse_customer(customer)
    return jsonify(customer=customer, items=_deps().carts.get(customer))


@bp.get("/healthz")
def healthz() -> Response:
    # Liveness only: restarting the app would not fix a dead database, so never look at one here.
    return jsonify(status="ok", replica=_settings().replica_name)


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    deps = _deps()
    checks = {
        "postgres": _check(deps.orders.ping),
        "redis": _check(deps.carts.ping),
        # Reported, but not part of readiness: orders still commit to the outbox while Kafka is
        # down and the relay catches up later, so pulling the replica would only add an outage.
        "kafka": deps.outbox_relay.kafka_status() if deps.outbox_relay else RELAY_DISABLED,
    }
    ready = checks["postgres"] == "ok" and checks["redis"] == "ok"
    status = "ready" if ready else "not ready"
    body = {"status": status, "replica": _settings().replica_name} | checks
    return jsonify(body), 200 if ready else 503


def _json_body() -> object:
    try:
        # force: a client that forgot the Content-Type still means JSON; there is nothing else.
        return request.get_json(force=True)
    except BadRequest:
        raise InvalidRequest(
            "request body is not valid JSON; send an object with fields customer, item and quantity"
        ) from None
    except RecursionError:
        # The json module recurses per nesting level: "[" * 10000 fits in the 16 kB body limit.
        raise InvalidRequest(
            "request body is nested too deeply; send a flat object with fields customer, item"
            " and quantity"
        ) from None


def _check(ping: Callable[[], None]) -> str:
    try:
        ping()
    except DependencyUnavailable as exc:
        return exc.reason
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return "ok"
