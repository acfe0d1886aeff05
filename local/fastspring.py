"""A local stand-in for FastSpring's side of the webhook: builds realistic, signed event batches
and posts them to the running portal, so a person can watch an order appear.

    python -m local.fastspring order --email new@example.com --sku T-ENT-10 --sku S1Y-T-ENT-10
    python -m local.fastspring order --email demo@example.com --sku S1Y-T-ENT-10 --serial P65
    python -m local.fastspring refund --reference JWT261127-1234-56789
    make order EMAIL=... SKUS="T-ENT-10 S1Y-T-ENT-10"

The secret is the local development default (local/aws.py DEV_SECRETS "fastspring-webhook",
overridable with PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET). Tests build their events here too.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
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
    from local.aws import dev_secret_values

    return next(v for k, v in dev_secret_values().items() if k.endswith("fastspring-webhook"))


def new_reference(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return f"JWT{at:%y%m%d}-{secrets.randbelow(10_000):04d}-{secrets.randbelow(100_000):05d}"


def new_id() -> str:
    return secrets.token_urlsafe(16).replace("-", "A").replace("_", "B")


def _price(sku: str) -> Decimal:
    base, _, count = sku.rpartition("-")
    per = PRICES.get(base) or PRICES.get(base.replace("S2Y", "S1Y").replace("S3Y", "S1Y"))
    years = int(base[1]) if base.startswith("S") and base[1].isdigit() else 1
    units = int(count) if count.isdigit() else 1
    return ((per or Decimal("50")) * units * years).quantize(Decimal("0.01"))


def _display(sku: str) -> str:
    base, _, count = sku.rpartition("-")
    if base.startswith("S") and "Y-" in base:
        years, _, product = base[1:].partition("Y-")
        what = _display(f"{product}-{count}")
        return f"Update/Support services for {what} - {years} year{'s' if years != '1' else ''}"
    if base == "RW":
        return f"TSplus Remote Work - {count} workstations"
    if base == "T-ENT":
        return f"TSplus Enterprise edition - {count} users"
    return sku


def order_completed(
    *,
    email: str,
    skus: list[str],
    reference: str | None = None,
    order_id: str | None = None,
    first: str = "Sam",
    last: str = "Taylor",
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
    """One `order.completed` event shaped like FastSpring's (see docs/FASTSPRING.md)."""
    at = at or datetime.now(UTC)
    millis = int(at.timestamp() * 1000)
    order_id = order_id or new_id()
    reference = reference or new_reference(at)
    items = []
    for sku in skus:
        item: dict[str, Any] = {
            "product": sku.lower(),
            "display": _display(sku),
            "quantity": 1,
            "sku": sku,
            "subtotal": _price(sku),
            "subtotalDisplay": f"{_price(sku)} {currency}",
            "attributes": {"serialNumber": serial} if serial and sku.startswith("S") else {},
            "fulfillments": {},
        }
        items.append(item)
    subtotal = sum((i["subtotal"] for i in items), Decimal("0"))
    tax = (subtotal * Decimal("0.20")).quantize(Decimal("0.01"))
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
            "invoiceUrl": f"https://example.onfastspring.com/account/order/{reference}/invoice",
            "customer": contact,
            "address": address,
            "items": items,
            "tags": {},
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
    return json.dumps({"events": list(events)}, default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral() else int(value)
    raise TypeError(type(value))


def signed_headers(body: bytes, secret: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-FS-Signature": signature(secret, body)}


def post(url: str, body: bytes, secret: str) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - a local URL given by the user
        url, data=body, method="POST", headers=signed_headers(body, secret)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PORTAL_URL", "http://127.0.0.1:3000"))
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
    status, text = post(
        args.url.rstrip("/") + "/api/webhooks/fastspring",
        batch(event),
        os.environ.get("PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET") or dev_webhook_secret(),
    )
    print(f"-> {status} {text.strip()}")
    return 0 if status in (200, 202) else 1


if __name__ == "__main__":
    sys.exit(main())
