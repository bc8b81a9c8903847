"""The order domain: what a client may submit, what is stored, and the checks between the two."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_NAME_LENGTH = 64
MAX_QUANTITY = 1000
MAX_IDEMPOTENCY_KEY_LENGTH = 128
# Postgres bigint: a larger id cannot exist, and would make the query itself fail.
MAX_ORDER_ID = 2**63 - 1
ORDER_FIELDS = ("customer", "item", "quantity")
# Postgres text cannot hold NUL, and a lone surrogate (JSON allows "\ud800") has no UTF-8 form:
# either would fail the INSERT with a 500. The other C0/C1 controls (tab, newline, ESC...) would
# be stored, but belong in no name and let a client forge log lines or drive a terminal, so they
# go too. Format characters stay allowed: emoji need ZWJ, Arabic and Hebrew names bidi marks.
FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class InvalidRequest(ValueError):
    """The client sent something we refuse; the message tells them what is allowed."""


@dataclass(frozen=True)
class NewOrder:
    customer: str
    item: str
    quantity: int


@dataclass(frozen=True)
class Order:
    id: int
    customer: str
    item: str
    quantity: int
    served_by: str
    created_at: datetime

    def matches(self, request: NewOrder) -> bool:
        return (self.customer, self.item, self.quantity) == (
            request.customer,
            request.item,
            request.quantity,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer": self.customer,
            "item": self.item,
            "quantity": self.quantity,
            "served_by": self.served_by,
            "created_at": self.created_at.isoformat(),
        }


def parse_new_order(body: object) -> NewOrder:
    if not isinstance(body, dict):
        raise InvalidRequest(
            "request body must be a JSON object with fields customer, item and quantity"
        )
    unknown = sorted(set(body) - set(ORDER_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field '{unknown[0]}': allowed fields are customer, item and quantity"
        )
    return NewOrder(
        customer=parse_name(body, "customer"),
        item=parse_name(body, "item"),
        quantity=_parse_quantity(body),
    )


def parse_name(body: dict[str, object], field: str) -> str:
    allowed = f"a string of 1 to {MAX_NAME_LENGTH} characters"
    if field not in body:
        raise InvalidRequest(f"field '{field}' is required: {allowed}")
    value = body[field]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise InvalidRequest(f"field '{field}' must be {allowed}")
    bad = FORBIDDEN_CHARACTER.search(value)
    if bad:
        raise InvalidRequest(
            f"field '{field}' must be printable text without control characters or unpaired"
            f" surrogates; found U+{ord(bad.group()):04X} at position {bad.start()}"
        )
    return value


def _parse_quantity(body: dict[str, object]) -> int:
    allowed = f"an integer from 1 to {MAX_QUANTITY}"
    if "quantity" not in body:
        raise InvalidRequest(f"field 'quantity' is required: {allowed}")
    value = body["quantity"]
    # bool is a subclass of int in Python, but `true` is not a quantity.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InvalidRequest(f"field 'quantity' must be {allowed}")
    return value


def parse_idempotency_key(header: str | None) -> str | None:
    if header is None:
        return None
    if not 1 <= len(header) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequest(
            f"header Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    return header


def parse_order_id(raw: str) -> int:
    if not re.fullmatch(r"[0-9]{1,19}", raw) or not 1 <= int(raw) <= MAX_ORDER_ID:
        raise InvalidRequest(
            f"order id in the path must be an integer from 1 to {MAX_ORDER_ID}, got '{raw}'"
        )
    return int(raw)


def parse_customer(raw: str) -> str:
    if not 1 <= len(raw) <= MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"customer in the path must be 1 to {MAX_NAME_LENGTH} characters"
        )
    return raw
