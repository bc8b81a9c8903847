"""Use cases behind the endpoints, written against the ports so they run on fakes in tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from halab.app.orders import NewOrder, Order
from halab.app.ports import CartStore, DependencyUnavailable, OrderStore

log = logging.getLogger(__name__)
ReadSource = Literal["replica", "primary"]
CartUpdate = Literal["updated", "unavailable"]


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for an order with a different body (422)."""

    def __init__(self, key: str, original: Order) -> None:
        super().__init__(
            f"Idempotency-Key '{key}' was already used for a different order (id {original.id});"
            " send a new key for a new order"
        )


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    replayed: bool
    # None on a replay: the cart was updated (or not) by the original request.
    cart: CartUpdate | None


def place_order(
    orders: OrderStore,
    carts: CartStore,
    request: NewOrder,
    *,
    idempotency_key: str | None,
    served_by: str,
) -> PlacedOrder:
    outcome = orders.create(request, idempotency_key=idempotency_key, served_by=served_by)
    if not outcome.created:
        assert idempotency_key is not None  # only a key can make an insert find an existing order
        if not outcome.order.matches(request):
            raise IdempotencyConflict(idempotency_key, outcome.order)
        return PlacedOrder(order=outcome.order, replayed=True, cart=None)
    return PlacedOrder(order=outcome.order, replayed=False, cart=_update_cart(carts, outcome.order))


def _update_cart(carts: CartStore, order: Order) -> CartUpdate:
    # The order is committed and is the source of truth; failing the request over a lost cart
    # update would make the client retry and order twice.
    try:
        carts.set_quantity(order.customer, order.item, order.quantity)
    except DependencyUnavailable as exc:
        log.warning("cart update for order %d skipped: %s", order.id, exc)
        return "unavailable"
    except Exception:
        log.exception("cart update for order %d failed", order.id)
        return "unavailable"
    return "updated"


def read_your_writes(orders: OrderStore, order_id: int) -> tuple[Order | None, ReadSource]:
    try:
        order = orders.find_on_replica(order_id)
    except DependencyUnavailable as exc:
        log.warning("replica read of order %d failed, asking the primary: %s", order_id, exc)
    else:
        if order is not None:
            return order, "replica"
    # Not on the replica may just mean "not replicated yet", e.g. the client's own fresh write.
    return orders.find_on_primary(order_id), "primary"
