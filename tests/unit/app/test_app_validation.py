"""Every kind of bad input gets a 4xx JSON error with a sentence naming what is allowed."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from app_fakes import make_lab

VALID = {"customer": "alice", "item": "book", "quantity": 2}
NAME_RULE = "a string of 1 to 64 characters"
QUANTITY_RULE = "an integer from 1 to 1000"
TEXT_RULE = "must be printable text without control characters or unpaired surrogates"
NESTING_ERROR = (
    "request body is nested too deeply; send a flat object with fields customer, item and quantity"
)


@dataclass(frozen=True)
class BadRequestCase:
    name: str
    method: str
    path: str
    status: int
    error: str
    body: object = None
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def order_with(**changes: object) -> dict[str, object]:
    return {k: v for k, v in (VALID | changes).items() if v is not ...}


CASES = [
    BadRequestCase(
        "invalid JSON", "POST", "/orders", 400,
        "request body is not valid JSON; send an object with fields customer, item and quantity",
        raw_body='{"customer": "alice"',
    ),
    BadRequestCase(
        "empty body", "POST", "/orders", 400,
        "request body is not valid JSON; send an object with fields customer, item and quantity",
        raw_body="",
    ),
    BadRequestCase(
        "deeply nested list", "POST", "/orders", 400, NESTING_ERROR, raw_body="[" * 10_000
    ),
    BadRequestCase(
        "deeply nested object", "POST", "/orders", 400, NESTING_ERROR,
        raw_body='{"a":' * 2_000 + "1" + "}" * 2_000,  # valid JSON, 12 kB: under the size limit
    ),
    BadRequestCase(
        "body is a list", "POST", "/orders", 400,
        "request body must be a JSON object with fields customer, item and quantity",
        body=[VALID],
    ),
    BadRequestCase(
        "unknown field", "POST", "/orders", 400,
        "unknown field 'price': allowed fields are customer, item and quantity",
        body=order_with(price=3),
    ),
    BadRequestCase(
        "missing customer", "POST", "/orders", 400,
        f"field 'customer' is required: {NAME_RULE}", body=order_with(customer=...),
    ),
    BadRequestCase(
        "customer not a string", "POST", "/orders", 400,
        f"field 'customer' must be {NAME_RULE}", body=order_with(customer=42),
    ),
    BadRequestCase(
        "customer empty", "POST", "/orders", 400,
        f"field 'customer' must be {NAME_RULE}", body=order_with(customer=""),
    ),
    BadRequestCase(
        "customer too long", "POST", "/orders", 400,
        f"field 'customer' must be {NAME_RULE}", body=order_with(customer="c" * 65),
    ),
    BadRequestCase(
        "customer with NUL", "POST", "/orders", 400,
        f"field 'customer' {TEXT_RULE}; found U+0000 at position 1",
        body=order_with(customer="a\u0000b"),
    ),
    BadRequestCase(
        "customer with newline", "POST", "/orders", 400,
        f"field 'customer' {TEXT_RULE}; found U+000A at position 5",
        body=order_with(customer="alice\nadmin"),
    ),
    BadRequestCase(
        # Sent as the JSON escape, as a client would: json.dumps would refuse to encode it.
        "item with lone surrogate", "POST", "/orders", 400,
        f"field 'item' {TEXT_RULE}; found U+D800 at position 4",
        raw_body='{"customer": "alice", "item": "book\\ud800", "quantity": 2}',
    ),
    BadRequestCase(
        "item with C1 control", "POST", "/orders", 400,
        f"field 'item' {TEXT_RULE}; found U+009B at position 0",
        body=order_with(item="\u009b31mbook"),
    ),
    BadRequestCase(
        "missing item", "POST", "/orders", 400,
        f"field 'item' is required: {NAME_RULE}", body=order_with(item=...),
    ),
    BadRequestCase(
        "item null", "POST", "/orders", 400,
        f"field 'item' must be {NAME_RULE}", body=order_with(item=None),
    ),
    BadRequestCase(
        "missing quantity", "POST", "/orders", 400,
        f"field 'quantity' is required: {QUANTITY_RULE}", body=order_with(quantity=...),
    ),
    BadRequestCase(
        "quantity as string", "POST", "/orders", 400,
        f"field 'quantity' must be {QUANTITY_RULE}", body=order_with(quantity="2"),
    ),
    BadRequestCase(
        "quantity as boolean", "POST", "/orders", 400,
        f"field 'quantity' must be {QUANTITY_RULE}", body=order_with(quantity=True),
    ),
    BadRequestCase(
        "quantity fractional", "POST", "/orders", 400,
        f"field 'quantity' must be {QUANTITY_RULE}", body=order_with(quantity=2.5),
    ),
    BadRequestCase(
        "quantity zero", "POST", "/orders", 400,
        f"field 'quantity' must be {QUANTITY_RULE}", body=order_with(quantity=0),
    ),
    BadRequestCase(
        "quantity above 1000", "POST", "/orders", 400,
        f"field 'quantity' must be {QUANTITY_RULE}", body=order_with(quantity=1001),
    ),
    BadRequestCase(
        "idempotency key too long", "POST", "/orders", 400,
        "header Idempotency-Key must be 1 to 128 characters",
        body=VALID, headers={"Idempotency-Key": "k" * 129},
    ),
    BadRequestCase(
        "idempotency key empty", "POST", "/orders", 400,
        "header Idempotency-Key must be 1 to 128 characters",
        body=VALID, headers={"Idempotency-Key": ""},
    ),
    BadRequestCase(
        "order id not an integer", "GET", "/orders/abc", 400,
        "order id in the path must be an integer from 1 to 9223372036854775807, got 'abc'",
    ),
    BadRequestCase(
        "order id negative", "GET", "/orders/-1", 400,
        "order id in the path must be an integer from 1 to 9223372036854775807, got '-1'",
    ),
    BadRequestCase(
        "order id beyond bigint", "GET", "/orders/9223372036854775808", 400,
        "order id in the path must be an integer from 1 to 9223372036854775807,"
        " got '9223372036854775808'",
    ),
    BadRequestCase(
        "customer in path too long", "GET", "/cart/" + "c" * 65, 400,
        "customer in the path must be 1 to 64 characters",
    ),
    BadRequestCase("unknown route", "GET", "/ordersx", 404, "no route matches GET /ordersx"),
    BadRequestCase(
        "wrong method", "DELETE", "/orders", 405,
        "method DELETE is not allowed on /orders; allowed: OPTIONS, POST",
    ),
    BadRequestCase(
        "body too large", "POST", "/orders", 413,
        "request body must be at most 16384 bytes",
        raw_body='{"customer": "' + "x" * 20_000 + '"}',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_a_json_4xx_naming_what_is_allowed(case: BadRequestCase) -> None:
    lab = make_lab()
    kwargs: dict[str, Any] = {"headers": case.headers}
    if case.raw_body is not None:
        kwargs["data"] = case.raw_body
        kwargs["content_type"] = "application/json"
    elif case.body is not None:
        kwargs["json"] = case.body

    response = lab.client.open(case.path, method=case.method, **kwargs)

    assert (response.status_code, response.get_json()) == (case.status, {"error": case.error})
    assert response.headers["X-Served-By"] == "app1"
    assert lab.orders.primary == {}


def test_limits_themselves_are_allowed() -> None:
    lab = make_lab()
    response = lab.client.post(
        "/orders",
        json={"customer": "c" * 64, "item": "i", "quantity": 1000},
        headers={"Idempotency-Key": "k" * 128},
    )
    assert response.status_code == 201


def test_json_without_content_type_is_still_accepted() -> None:
    lab = make_lab()
    response = lab.client.post("/orders", data='{"customer": "a", "item": "b", "quantity": 1}')
    assert response.status_code == 201


def test_body_without_content_length_is_bounded_too() -> None:
    # Chunked uploads carry no Content-Length; the limit must still apply while reading.
    lab = make_lab()
    body = b'{"customer": "' + b"x" * 20_000 + b'"}'

    response = lab.client.post(
        "/orders",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for chunked
    )

    assert response.status_code == 413
    assert response.get_json() == {"error": "request body must be at most 16384 bytes"}


@pytest.mark.parametrize(
    "name",
    [
        "\U0001F468\u200d\U0001F469\u200d\U0001F467",  # family emoji: joined by ZWJ (format)
        "\u202bשלום",  # starts with a bidi embedding mark
        "Zoë O'Brien-Łukasz",
    ],
    ids=["emoji with zero-width joiners", "bidi mark", "accents and spaces"],
)
def test_format_characters_and_non_ascii_names_are_allowed(name: str) -> None:
    lab = make_lab()
    response = lab.client.post("/orders", json={"customer": name, "item": name, "quantity": 1})
    assert response.status_code == 201
    assert response.get_json()["customer"] == name


def test_escaped_surrogate_pair_is_one_valid_character() -> None:
    lab = make_lab()
    raw = '{"customer": "\\ud83d\\ude00", "item": "book", "quantity": 1}'
    response = lab.client.post("/orders", data=raw, content_type="application/json")
    assert response.status_code == 201
    assert response.get_json()["customer"] == "\U0001F600"
