"""In-memory stand-ins for Postgres, Redis and the outbox relay, plus an app wired to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import Flask
from flask.testing import FlaskClient

from halab.app import create_app
from halab.app.config import Settings
from halab.app.orders import NewOrder, Order
from halab.app.ports import CreateOutcome, Dependencies, DependencyUnavailable

CREATED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@dataclass
class FakeOrderStore:
    primary: dict[int, Order] = field(default_factory=dict)
    # Rows the replica has already received; `replicate()` catches it up with the primary.
    replica: dict[int, Order] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    primary_down: bool = False
    replica_down: bool = False

    def create(
        self, order: NewOrder, *, idempotency_key: str | None, served_by: str
    ) -> CreateOutcome:
        self._check(self.primary_down, "postgres")
        if idempotency_key in self.keys:
            return CreateOutcome(order=self.primary[self.keys[idempotency_key]], created=False)
        new_id = len(self.primary) + 1
        stored = Order(new_id, order.customer, order.item, order.quantity, served_by, CREATED_AT)
        self.primary[new_id] = stored
        if idempotency_key is not None:
            self.keys[idempotency_key] = new_id
        return CreateOutcome(order=stored, created=True)

    def replicate(self) -> None:
        self.replica.update(self.primary)

    def find_on_replica(self, order_id: int) -> Order | None:
        self._check(self.replica_down, "postgres-replicas")
        return self.replica.get(order_id)

    def find_on_primary(self, order_id: int) -> Order | None:
        self._check(self.primary_down, "postgres")
        return self.primary.get(order_id)

    def ping(self) -> None:
        self._check(self.primary_down, "postgres")

    @staticmethod
    def _check(down: bool, name: str) -> None:
        if down:
            raise DependencyUnavailable(name, "connection refused")


@dataclass
class FakeCartStore:
    carts: dict[str, dict[str, int]] = field(default_factory=dict)
    down: bool = False

    def set_quantity(self, customer: str, item: str, quantity: int) -> None:
        self._check()
        self.carts.setdefault(customer, {})[item] = quantity

    def get(self, customer: str) -> dict[str, int]:
        self._check()
        return dict(self.carts.get(customer, {}))

    def ping(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailable("redis", "Timeout connecting to server")


@dataclass
class FakeRelay:
    status: str = "ok"
    started: bool = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def kafka_status(self) -> str:
        return self.status


@dataclass
class Lab:
    """One app replica wired to fakes, and the handles to break them."""

    app: Flask
    client: FlaskClient
    orders: FakeOrderStore
    carts: FakeCartStore
    relay: FakeRelay


def make_lab(replica_name: str = "app1") -> Lab:
    orders, carts, relay = FakeOrderStore(), FakeCartStore(), FakeRelay()
    deps = Dependencies(orders=orders, carts=carts, outbox_relay=relay)
    app = create_app(Settings(replica_name=replica_name), deps)
    return Lab(app=app, client=app.test_client(), orders=orders, carts=carts, relay=relay)
