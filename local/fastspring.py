"""A local stand-in for FastSpring's side of the webhook: builds realistic, signed event batches
and posts them to the running portal, so a person can watch an order appear.

    python -m local.fastspring order --email new@example.com --sku T-ENT-10 --sku S1Y-T-ENT-10
    python -m local.fastspring order --email demo@example.com --sku S1Y-T-ENT-10 --serial P65
    python -m local.fastspring refund --reference JWT261127-1234-56789
    make order EMAIL=... SKUS="T-ENT-10 S1Y-T-ENT-10"   /   make refund REFERENCE=...

The secret is the local development default (local/aws.py DEV_SECRETS "fastspring-webhook",
overridable with PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET). The tests build and sign their events
here too: order_completed() / return_created() make events (order lines from SKUs, or explicit
Lines such as the checkout stand-in's, local/fastspring_store.py), signed_batch() is the one
builder of a signed delivery (this command, the stand-in, the unit tests through the handler,
the integration tests over HTTP), post() sends one.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from portal.fastspring.signatures import signature

PRICES = {  # list prices for realistic lines, per user / workstation
    "T-ENT": Decimal("60.18"),
    "S1Y-T-ENT": Decimal("10.231"),
    "RW": Decimal("79.00"),
    "S1Y-RW": Decimal("11.85"),
}


def dev_webhook_secret() -> str:
    """The webhook secret of the local stack and the unit tests' moto: the documented default of
    local/aws.py DEV_SECRETS, or PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET when set."""
    from local.aws import dev_secret_values

    return next(v for k, v in dev_secret_values().items() if k.endswith("fastspring-webhook"))


def dev_api_credentials() -> tuple[str, str]:
    """(username, password) of FastSpring's API locally: local/aws.py DEV_SECRETS
    "fastspring-api" (PORTAL_DEV_FASTSPRING_API overrides it), what the stand-in accepts."""
    from local.aws import dev_secret_values

    raw = next(v for k, v in dev_secret_values().items() if k.endswith("fastspring-api"))
    credentials = json.loads(raw)
    return str(credentials["username"]), str(credentials["password"])


def new_reference(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return f"JWT{at:%y%m%d}-{secrets.randbelow(10_000):04d}-{secrets.randbelow(100_000):05d}"


def invoice_url(reference: str) -> str:
    return f"https://example.onfastspring.com/account/order/{reference}/invoice"


def new_id() -> str:
    return secrets.token_urlsafe(16).replace("-", "A").replace("_", "B")


def list_price(sku: str) -> Decimal:
    """A realistic subtotal for one line of `sku` (PRICES per user or workstation, per year)."""
    base, _, count = sku.rpartition("-")
    per = PRICES.get(base) or PRICES.get(base.replace("S2Y", "S1Y").replace("S3Y", "S1Y"))
    years = int(base[1]) if base.startswith("S") and base[1].isdigit() else 1
    units = int(count) if count.isdigit() else 1
    return ((per or Decimal("50")) * units * years).quantize(Decimal("0.01"))


def display_name(sku: str) -> str:
    """The product name FastSpring shows for `sku`, e.g. "TSplus Enterprise edition - 10 users"."""
    base, _, count = sku.rpartition("-")
    if base.startswith("S") and "Y-" in base:
        years, _, product = base[1:].partition("Y-")
        what = display_name(f"{product}-{count}")
        return f"Update/Support services for {what} - {years} year{'s' if years != '1' else ''}"
    if base == "RW":
        return f"TSplus Remote Work - {count} workstations"
    if base == "T-ENT":
        return f"TSplus Enterprise edition - {count} users"
    return sku


def tax_of(subtotal: Decimal) -> Decimal:
    """The tax of an order of `subtotal`: 20 %, to the cent (the local orders' VAT)."""
    return (subtotal * Decimal("0.20")).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Line:
    """One order line as FastSpring reports it: product path, display name, SKU (may be None),
    quantity and the line's subtotal (before tax), custom attributes."""

    product: str
    display: str | None
    sku: str | None
    quantity: int
    subtotal: Decimal
    attributes: Mapping[str, Any] = field(default_factory=dict)


def sku_line(sku: str, serial: str | None = None) -> Line:
    """The line `make order` sends for `sku`: its list price, the serial a support line renews."""
    return Line(
        product=sku.lower(),
        display=display_name(sku),
        sku=sku,
        quantity=1,
        subtotal=list_price(sku),
        attributes={"serialNumber": serial} if serial and sku.startswith("S") else {},
    )


def order_completed(
    *,
    email: str,
    skus: Sequence[str] = (),
    lines: Sequence[Line] = (),
    tags: Mapping[str, str] | None = None,
    reference: str | None = None,
    order_id: str | None = None,
    first: str | None = "Sam",
    last: str | None = "Taylor",
    company: str | None = "Taylor Consulting Ltd",
    country: str = "GB",
    city: str | None = "Leeds",
    language: str = "en",
    currency: str = "EUR",
    expanded_account: bool = True,
    live: bool = True,
    serial: str | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One `order.completed` event shaped like FastSpring's (see docs/FASTSPRING.md).

    Its lines: one per SKU in `skus` (sku_line, `serial` on support lines), then `lines` as
    given; `tags` are the order tags the checkout session carried. Subtotal is the lines' sum,
    tax 20 % of it, total both."""
    at = at or datetime.now(UTC)
    millis = int(at.timestamp() * 1000)
    order_id = order_id or new_id()
    reference = reference or new_reference(at)
    every = [sku_line(sku, serial) for sku in skus] + list(lines)
    if not every:
        raise ValueError("an order has at least one line (skus or lines)")
    items = [
        {
            "product": line.product,
            "display": line.display,
            "quantity": line.quantity,
            "sku": line.sku,
            "subtotal": line.subtotal,
            "subtotalDisplay": f"{line.subtotal} {currency}",
            "attributes": dict(line.attributes),
            "fulfillments": {},
        }
        for line in every
    ]
    subtotal = sum((line.subtotal for line in every), Decimal("0"))
    tax = tax_of(subtotal)
    contact = {"first": first, "last": last, "email": email, "company": company, "phone": None}
    address = {"country": country, "city": city, "display": f"{city or ''}, {country}"}
    account: Any = (
        {
            "id": new_id(),
            "contact": contact,
            "address": address,
            "language": language,
            "country": country,
        }
        if expanded_account
        else new_id()
    )
    return {
        "id": event_id or new_id(),
        "live": live,
        "processed": False,
        "type": "order.completed",
        "created": millis,
        "data": {
            "order": order_id,
            "id": order_id,
            "reference": reference,
            "buyerReference": None,
            "completed": True,
            "changed": millis,
            "changedValue": millis,
            "language": language,
            "live": live,
            "currency": currency,
            "account": account,
            "total": subtotal + tax,
            "subtotal": subtotal,
            "tax": tax,
            "invoiceUrl": invoice_url(reference),
            "customer": contact,
            "address": address,
            "items": items,
            "tags": dict(tags or {}),
        },
    }


def return_created(
    *,
    reference: str,
    original_order_id: str | None = None,
    skus: list[str] | None = None,
    event_id: str | None = None,
    return_id: str | None = None,
    live: bool = True,
) -> dict[str, Any]:
    """A `return.created` (refund); skus None = a full refund without line detail."""
    return {
        "id": event_id or new_id(),
        "live": live,
        "processed": False,
        "type": "return.created",
        "created": int(datetime.now(UTC).timestamp() * 1000),
        "data": {
            "return": return_id or new_id(),
            "id": return_id or new_id(),
            "reference": f"{reference}X",
            "original": {
                "id": original_order_id,
                "order": original_order_id,
                "reference": reference,
            },
            "items": [{"product": s.lower(), "sku": s, "quantity": 1} for s in (skus or [])],
            "reason": "Duplicate Order",
            "note": "Customer requested a refund",
            "type": "RETURN",
            "totalReturn": Decimal("0"),
        },
    }


def batch(*events: dict[str, Any]) -> bytes:
    """The raw body of a delivery: {"events": [...]}, amounts as JSON numbers like FastSpring's."""
    return dumps({"events": list(events)})


def dumps(value: Any) -> bytes:
    """JSON as FastSpring writes it: Decimal amounts as JSON numbers."""
    return json.dumps(value, default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral() else int(value)
    raise TypeError(type(value))


@dataclass(frozen=True)
class SignedBatch:
    """One webhook delivery as FastSpring sends it: the raw body and its X-FS-Signature."""

    body: bytes
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-FS-Signature": self.signature}


def signed_batch(*events: dict[str, Any], secret: str | None = None) -> SignedBatch:
    """The events as one delivery, signed as FastSpring signs: base64(HMAC-SHA256(secret, body)).

    secret: the webhook secret to sign with; None = dev_webhook_secret(), the one the local stack
    and the unit tests' moto hold. Pass another to forge a delivery the portal must refuse."""
    body = batch(*events)
    return SignedBatch(body, signature(dev_webhook_secret() if secret is None else secret, body))


def post(url: str, delivery: SignedBatch, *, timeout: float = 30) -> tuple[int, str]:
    """POST one delivery to the webhook at `url`; (HTTP status, body text). Gives up (OSError)
    after `timeout` seconds."""
    request = urllib.request.Request(  # noqa: S310 - a local URL given by the user
        url, data=delivery.body, method="POST", headers=delivery.headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def running_portal() -> str:
    """Where to deliver: PORTAL_URL, else the running stack's portal (.local/stack.json, as
    `make remind` and `make activate` find it), else the default port."""
    if os.environ.get("PORTAL_URL"):
        return os.environ["PORTAL_URL"]
    from local.stack import read_stack_file

    try:
        return str(read_stack_file()["portal"])
    except (OSError, KeyError, ValueError):
        return "http://127.0.0.1:3000"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.fastspring", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--url", default=None, help="the portal (default: the running stack's)")
    sub = parser.add_subparsers(dest="command", required=True)
    order = sub.add_parser("order", help="send a signed order.completed")
    order.add_argument("--email", required=True)
    order.add_argument("--sku", action="append", required=True, help="repeat for more lines")
    order.add_argument("--reference")
    order.add_argument("--serial", help="the serial number a support line renews")
    order.add_argument("--first", default="Sam")
    order.add_argument("--last", default="Taylor")
    order.add_argument("--language", default="en")
    order.add_argument("--currency", default="EUR")
    refund = sub.add_parser("refund", help="send a signed return.created")
    refund.add_argument("--reference", required=True)
    refund.add_argument("--sku", action="append", help="refund only these lines")
    args = parser.parse_args(argv)
    args.url = args.url or running_portal()
    if args.command == "order":
        event = order_completed(
            email=args.email,
            skus=args.sku,
            reference=args.reference,
            serial=args.serial,
            first=args.first,
            last=args.last,
            language=args.language,
            currency=args.currency,
        )
        print(f"order {event['data']['reference']} for {args.email}: {', '.join(args.sku)}")
    else:
        event = return_created(reference=args.reference, skus=args.sku)
        print(f"refund of {args.reference}: {', '.join(args.sku or ['every line'])}")
    url = args.url.rstrip("/") + "/api/webhooks/fastspring"
    try:
        status, text = post(url, signed_batch(event))
    except urllib.error.URLError as error:
        print(
            f"Cannot reach the portal at {url} ({error.reason}): is `make run` going?",
            file=sys.stderr,
        )
        return 1
    print(f"-> {status} {text.strip()}")
    return 0 if status in (200, 202) else 1


if __name__ == "__main__":
    sys.exit(main())
