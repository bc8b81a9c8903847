"""The edges of the service: what routes need from storage, so tests can swap in fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from halab.app.orders import NewOrder, Order


class DependencyUnavailable(Exception):
    """A backing service is down or its circuit is open; the client should retry later (503)."""

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency} is unavailable: {reason}")
        self.dependency = dependency
        self.reason = reason


@dataclass(frozen=True)
class CreateOutcome:
    order: Order
    # False when the Idempotency-Key already existed and `order` is the original one.
    created: bool


class OrderStore(Protocol):
    def create(
        self, order: NewOrder, *, idempotency_key: str | None, served_by: str
    ) -> CreateOutcome: ...

    def find_on_replica(self, order_id: int) -> Order | None: ...

    def find_on_primary(self, order_id: int) -> Order | None: ...

    def ping(self) -> None: ...


class CartStore(Protocol):
    def set_quantity(self, customer: str, item: str, quantity: int) -> None: ...

    def get(self, customer: str) -> dict[str, int]: ...

    def ping(self) -> None: ...


class OutboxRelayControl(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def kafka_status(self) -> str: ...


@dataclass
class Dependencies:
    orders: OrderStore
    carts: CartStore
    # None: no background relay in this process (tests, or HALAB_OUTBOX_RELAY=0).
    outbox_relay: OutboxRelayControl | None = None
    # Run at worker exit, after the relay stopped: closing pools and clients.
    closers: list[Callable[[], None]] = field(default_factory=list)
