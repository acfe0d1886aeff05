"""Upgrades: adding workstations to a license, priced by the server and paid through FastSpring.

- `quote`: the signed-in customer's license (another's answers NotFound), upgradable and with
  running support, priced by portal.licensing.pricing in the currency of the license's order
  (else the customer's latest order's, else the catalog's default), stored for 24 hours.
- `checkout`: a FastSpring checkout session for exactly that quote - its price, the catalog's
  upgrade product, tags naming the quote and the license, the customer as the buyer - and the
  URL of its checkout page on the configured store base, the only URL ever answered. A second
  checkout of the same quote answers the session kept by the first.

The order that pays a quote adds the workstations (portal.fastspring.upgrades). Nothing the
client sends reaches a price: the request carries a license id and a number, the checkout a
quote id. The FastSpring tags are the link back from the paid order to the quote.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol
from urllib.parse import quote as url_quote

from portal.clock import Clock
from portal.config import Settings
from portal.data import quotes as stored
from portal.data.items import license_from_item
from portal.data.records import (
    LICENSES,
    latest_order_currency,
    order_currency,
    owned_record,
)
from portal.data.store import Store
from portal.errors import NotFound, NotUpgradable, QuoteExpired, QuoteUsed
from portal.ids import is_ulid, new_ulid
from portal.licensing import pricing
from portal.models import Customer, Quote
from portal.observability import count
from portal.orders.catalog import Catalog

QUOTE_VALIDITY = timedelta(hours=24)
# The order tags that name what a paid upgrade order is for (FASTSPRING.md "tags").
QUOTE_TAG = "portalQuoteId"
LICENSE_TAG = "portalLicenseId"


class CheckoutSessions(Protocol):
    def create_session(self, session: dict[str, object]) -> str: ...


def quote(
    customer_id: str,
    license_id: str,
    added: int,
    *,
    store: Store,
    catalog: Catalog,
    clock: Clock,
) -> Quote:
    lic = license_from_item(owned_record(store, LICENSES, customer_id, license_id))
    upgrade = catalog.upgrade_of(lic.software)
    if not lic.upgradable or upgrade is None:
        raise NotUpgradable()
    now = clock.now()
    support_until = lic.support.until if lic.support else None
    # A refusal (bounds, no running support) costs no further read.
    pricing.check(
        upgrade,
        current_workstations=lic.users,
        added=added,
        support_until=support_until,
        today=now.date(),
    )
    original = order_currency(store, customer_id, lic.order_number)
    latest = None if original in upgrade.prices else latest_order_currency(store, customer_id)
    priced = pricing.price_upgrade(
        upgrade,
        currency=pricing.quote_currency(upgrade, original, latest),
        current_workstations=lic.users,
        added=added,
        support_until=support_until,
        today=now.date(),
    )
    made = Quote(
        quote_id=new_ulid(now),
        license_id=lic.license_id,
        software=lic.software,
        serial_number=lic.serial_number,
        computer_id=lic.computer_id,
        computer_name=lic.computer_name,
        current_workstations=lic.users,
        added=added,
        support_until=support_until or now.date(),
        price=priced.price,
        breakdown=priced.breakdown,
        created_at=now,
        expires_at=now + QUOTE_VALIDITY,
    )
    stored.save_quote(store, customer_id, made)
    count("UpgradeQuoted")
    return made


def checkout(
    customer_id: str,
    quote_id: str,
    *,
    store: Store,
    settings: Settings,
    catalog: Catalog,
    clock: Clock,
    sessions: CheckoutSessions,
) -> str:
    """The checkout URL of the customer's quote `quote_id`: NotFound (not theirs), QuoteUsed
    (paid), QuoteExpired (past its 24 hours)."""
    if not is_ulid(quote_id):
        raise NotFound()
    found, buyer = stored.quote_and_buyer(store, customer_id, quote_id)
    if found is None or buyer is None:
        raise NotFound()
    if found.status != "open":
        raise QuoteUsed()
    if clock.now() >= found.expires_at:
        raise QuoteExpired()
    session_id = found.checkout_session
    if session_id is None:
        upgrade = catalog.upgrade_of(found.software)
        if upgrade is None:  # the catalog stopped selling it since the quote
            raise NotUpgradable()
        created = sessions.create_session(session_for(found, upgrade.product, buyer))
        kept = stored.keep_checkout_session(store, customer_id, quote_id, created)
        if kept is None:  # paid meanwhile
            raise QuoteUsed()
        session_id = kept.checkout_session or created
        count("UpgradeCheckout")
    return checkout_url(settings, session_id)


def session_for(found: Quote, product: str, buyer: Customer) -> dict[str, object]:
    """The FastSpring session body (FASTSPRING.md "Checkout session"): one line of the upgrade
    product at the quote's price, quantity 1 and locked - the line is the whole upgrade, priced
    and rounded once; how many workstations it adds is the quote's, never the order's."""
    contact = buyer.contacts[-1] if buyer.contacts else None
    person: dict[str, object] = {"email": buyer.email}
    if contact and contact.first_name:
        person["first"] = contact.first_name
    if contact and contact.last_name:
        person["last"] = contact.last_name
    return {
        "contact": person,
        "language": buyer.language,
        "tags": {QUOTE_TAG: found.quote_id, LICENSE_TAG: found.license_id},
        "items": [
            {
                "product": product,
                "quantity": 1,
                "pricing": {
                    "quantityBehavior": "lock",
                    "price": {found.price.currency: found.price.amount},
                },
            }
        ],
    }


def checkout_url(settings: Settings, session_id: str) -> str:
    """`<FASTSPRING_CHECKOUT_BASE>/session/<id>`: the configured store base, nothing else."""
    return f"{settings.fastspring_checkout_base}/session/{url_quote(session_id, safe='')}"
