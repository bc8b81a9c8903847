"""Endpoint behaviour against fake stores: idempotency, read-your-writes, degraded dependencies."""

from __future__ import annotations

from app_fakes import CREATED_AT, make_lab

from halab.app import create_app, shutdown
from halab.app.config import Settings
from halab.app.ports import Dependencies

ORDER = {"customer": "alice", "item": "book", "quantity": 2}


def test_new_order_is_created_and_lands_in_the_cart() -> None:
    lab = make_lab("app2")

    response = lab.client.post("/orders", json=ORDER)

    assert response.status_code == 201
    assert response.get_json() == {
        "id": 1,
        "customer": "alice",
        "item": "book",
        "quantity": 2,
        "served_by": "app2",
        "created_at": CREATED_AT.isoformat(),
        "cart": "updated",
    }
    assert response.headers["Location"] == "/orders/1"
    assert response.headers["X-Served-By"] == "app2"
    assert lab.carts.carts == {"alice": {"book": 2}}


def test_same_idempotency_key_replays_the_original_order() -> None:
    lab = make_lab()
    first = lab.client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k1"})

    replay = lab.client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k1"})

    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replay"] == "true"
    original = first.get_json()
    del original["cart"]
    assert replay.get_json() == original
    assert len(lab.orders.primary) == 1


def test_same_idempotency_key_with_another_body_is_rejected() -> None:
    lab = make_lab()
    lab.client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k1"})

    response = lab.client.post(
        "/orders", json=ORDER | {"quantity": 3}, headers={"Idempotency-Key": "k1"}
    )

    assert response.status_code == 422
    assert response.get_json() == {
        "error": "Idempotency-Key 'k1' was already used for a different order (id 1);"
        " send a new key for a new order"
    }
    assert len(lab.orders.primary) == 1


def test_cart_outage_does_not_fail_a_committed_order() -> None:
    lab = make_lab()
    lab.carts.down = True

    response = lab.client.post("/orders", json=ORDER)

    assert response.status_code == 201
    assert response.get_json()["cart"] == "unavailable"
    assert 1 in lab.orders.primary


def test_order_store_outage_is_a_503_with_retry_after() -> None:
    lab = make_lab()
    lab.orders.primary_down = True

    response = lab.client.post("/orders", json=ORDER)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json() == {
        "error": "postgres is unavailable: connection refused; retry shortly"
    }


def test_replicated_order_is_read_from_the_replica() -> None:
    lab = make_lab()
    lab.client.post("/orders", json=ORDER)
    lab.orders.replicate()

    response = lab.client.get("/orders/1")

    assert response.status_code == 200
    assert response.get_json()["read_from"] == "replica"


def test_fresh_order_not_yet_on_the_replica_is_read_from_the_primary() -> None:
    lab = make_lab()
    lab.client.post("/orders", json=ORDER)

    response = lab.client.get("/orders/1")

    assert response.status_code == 200
    assert response.get_json()["read_from"] == "primary"
    assert response.get_json()["customer"] == "alice"


def test_replicas_down_falls_back_to_the_primary() -> None:
    lab = make_lab()
    lab.client.post("/orders", json=ORDER)
    lab.orders.replicate()
    lab.orders.replica_down = True

    response = lab.client.get("/orders/1")

    assert response.get_json()["read_from"] == "primary"


def test_order_missing_everywhere_is_a_json_404() -> None:
    lab = make_lab()

    response = lab.client.get("/orders/7")

    assert response.status_code == 404
    assert response.get_json() == {"error": "order 7 does not exist"}


def test_cart_is_returned_as_json() -> None:
    lab = make_lab()
    lab.client.post("/orders", json=ORDER)
    lab.client.post("/orders", json=ORDER | {"item": "pen", "quantity": 5})

    response = lab.client.get("/cart/alice")

    assert response.get_json() == {"customer": "alice", "items": {"book": 2, "pen": 5}}


def test_healthz_does_not_look_at_dependencies() -> None:
    lab = make_lab("app3")
    lab.orders.primary_down = lab.carts.down = True

    response = lab.client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "replica": "app3"}


def test_readyz_is_200_when_postgres_and_redis_answer_even_if_kafka_does_not() -> None:
    lab = make_lab()
    lab.relay.status = "NoBrokersAvailable: NoBrokersAvailable"

    response = lab.client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "replica": "app1",
        "postgres": "ok",
        "redis": "ok",
        "kafka": "NoBrokersAvailable: NoBrokersAvailable",
    }


def test_readyz_is_503_when_redis_is_down() -> None:
    lab = make_lab()
    lab.carts.down = True

    response = lab.client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["postgres"], body["redis"]) == (
        "not ready", "ok", "Timeout connecting to server",
    )


def test_readyz_is_503_when_postgres_is_down() -> None:
    lab = make_lab()
    lab.orders.primary_down = True

    response = lab.client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["postgres"] == "connection refused"


def test_unexpected_error_is_a_json_500_without_traceback() -> None:
    lab = make_lab()

    def explode(*args: object, **kwargs: object) -> None:
        raise KeyError("secret internals")

    lab.orders.find_on_replica = explode  # type: ignore[method-assign]

    response = lab.client.get("/orders/1")

    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error; the details are in this replica's log"}
    assert response.headers["X-Served-By"] == "app1"


def test_relay_from_deps_is_started_and_stopped_with_the_app() -> None:
    lab = make_lab()
    assert lab.relay.started
    closed: list[str] = []
    lab.app.extensions["halab.deps"].closers.append(lambda: closed.append("pools"))

    shutdown(lab.app)

    assert not lab.relay.started
    assert closed == ["pools"]


def test_without_a_relay_readyz_says_kafka_is_not_checked() -> None:
    lab = make_lab()
    app = create_app(Settings(replica_name="app1"), Dependencies(lab.orders, lab.carts))

    body = app.test_client().get("/readyz").get_json()

    assert body["kafka"].startswith("not checked")
