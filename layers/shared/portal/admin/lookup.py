"""What support sees of one customer (portal-admin `lookup`): what the portal shows them and what
happened to it, every read under that customer's partition (another customer's records are
unreachable by construction), nothing written.

- customer: name, email, language, reminders on/off (and when chosen), billing;
- licenses and supports: the home page's rows (portal.edge.contract: LicenseOut / SupportOut,
  the same fields, from the same records), each license with its releases of the last 12 months
  (portal.licensing.activation.recent_releases: the rehost limit);
- orders: every order with its lines (granted records, refunded units, a held upgrade or a held
  support line and why);
- history: each license's (and each revoked license's) history, newest first
  (portal.data.bindings.history_page, page after page);
- revoked: the REVOKED# copies (by a refund or by support, with the reason);
- mails: the MAIL# records (kind, language, time, SES id) and whether each went to the address
  the profile has now (a record keeps only the digest of its address);
- audit: the support team's changes (portal.data.audit.of_customer).

The activation key is sealed with KMS; `show_key` opens it for support on the phone, after its
audit entry (`customer.show-key`) is written: no key is shown unrecorded."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from portal.admin.refusals import Refused
from portal.aws.sealing import unseal
from portal.clock import Clock, utc_text
from portal.config import Settings
from portal.data import audit, bindings, mail, records
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import customer_from_item, license_from_item, order_from_item
from portal.data.store import Item, Store
from portal.edge.contract.common import amount_text
from portal.edge.contract.licenses import LicenseOut, SupportOut
from portal.edge.wire import to_wire
from portal.licensing.activation import recent_releases
from portal.models import HistoryEntry, Order

HISTORY_PAGE = 100
MAILS = 50  # newest mail records shown
AUDITS = 100  # newest audit entries shown


@dataclass(frozen=True, slots=True)
class Lookup:
    customer: dict[str, Any]
    licenses: list[dict[str, Any]]
    supports: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    history: dict[str, list[dict[str, Any]]]  # license id -> entries, newest first
    revoked: list[dict[str, Any]]
    mails: list[dict[str, Any]]
    audit: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lookup(
    store: Store, customer_id: str, *, cursors: Cursors, clock: Clock, activation_key: str = ""
) -> Lookup:
    """Everything above; `activation_key`: shown in the customer section (show_key)."""
    profile = _profile(store, customer_id)
    now = clock.now()
    licenses = records.all_licenses(store, customer_id)
    revoked = records.revoked_of(store, customer_id)
    revoked_licenses = [
        license_from_item(item) for item in revoked if item.get("type") == "license"
    ]
    email = str(profile.get("email") or "")
    current = mail.recipient_digest(email) if email else ""
    return Lookup(
        customer=_customer(profile, activation_key),
        licenses=[
            {
                **to_wire(LicenseOut.of(lic)),
                "releasesInLast12Months": len(recent_releases(lic, now)),
            }
            for lic in licenses
        ],
        supports=[to_wire(SupportOut.of(sup)) for sup in records.all_supports(store, customer_id)],
        orders=[_order(order_from_item(item)) for item in records.all_orders(store, customer_id)],
        history={
            lic.license_id: _history(store, customer_id, lic.license_id, cursors)
            for lic in [*licenses, *revoked_licenses]
        },
        revoked=[_revoked(item) for item in revoked],
        mails=[
            {
                "sentAt": utc_text(record.sent_at),
                "kind": record.kind,
                "language": record.language,
                "sesMessageId": record.ses_message_id,
                "recordId": record.record_id,
                "toCurrentEmail": bool(current) and record.recipient_digest == current,
            }
            for record in mail.sent_to(store, customer_id, limit=MAILS)
        ],
        audit=[
            {
                "at": utc_text(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "details": dict(entry.details),
                "auditId": entry.audit_id,
            }
            for entry in audit.of_customer(store, customer_id, limit=AUDITS)
        ],
    )


def show_key(
    store: Store, settings: Settings, customer_id: str, *, actor: str, clock: Clock
) -> str:
    """The customer's activation key in clear, once its audit entry is written."""
    profile = customer_from_item(_profile(store, customer_id))
    audit.record(
        store,
        audit.entry(actor, "customer.show-key", clock.now(), customer_id=customer_id),
    )
    return unseal(profile.activation_key_sealed, settings, context=customer_id)


def _profile(store: Store, customer_id: str) -> Item:
    profile = records.profile_of(store, customer_id)
    if profile is None:
        raise Refused(f"customer {customer_id} has no profile")
    return profile


def _customer(item: Item, activation_key: str) -> dict[str, Any]:
    customer = customer_from_item(item)
    billing = customer.billing
    shown: dict[str, Any] = {
        "customerId": customer.customer_id,
        "name": customer.name,
        "email": customer.email,
        "language": customer.language,
        "reminders": "off" if customer.reminders is False else "on",
        "remindersChangedAt": customer.reminders_changed_at,
        "billing": to_wire(billing) if billing else None,
    }
    if activation_key:
        shown["activationKey"] = activation_key
    return shown


def _order(order: Order) -> dict[str, Any]:
    currency = order.total.currency
    return {
        "reference": order.reference,
        "placedAt": utc_text(order.placed_at),
        "status": order.status,
        "total": amount_text(order.total.amount, currency),
        "currency": currency,
        "invoiceUrl": order.invoice_url,
        "items": [
            {
                "product": line.display or line.product,
                "sku": line.sku,
                "quantity": line.quantity,
                "refundedQuantity": line.refunded_quantity,
                "subtotal": amount_text(line.subtotal.amount, currency),
                "granted": list(line.granted),
                "unknownSku": line.unknown_sku,
                "held": line.held,  # a support line held for review, and why
                "upgrade": to_wire(line.upgrade) if line.upgrade else None,
            }
            for line in order.items
        ],
    }


def _history(
    store: Store, customer_id: str, license_id: str, cursors: Cursors
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = bindings.history_page(
            store, customer_id, license_id, PageQuery(HISTORY_PAGE, cursor), cursors=cursors
        )
        entries += [_entry(entry) for entry in page.items]
        cursor = page.next_cursor
        if not cursor:
            return entries


def _entry(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "at": utc_text(entry.at),
        "event": entry.event,
        "computerId": entry.computer_id,
        "computerName": entry.computer_name,
        "by": entry.by,  # "support" when support did it (portal-admin)
    }


def _revoked(item: Item) -> dict[str, Any]:
    is_license = item.get("type") == "license"
    return {
        "kind": "license" if is_license else "support",
        "id": item.get("licenseId") if is_license else item.get("supportId"),
        "software": item.get("software"),
        "serialNumber": item.get("serialNumber"),
        "computerId": item.get("computerId"),
        "revokedAt": item.get("revokedAt"),
        "reason": item.get("reason"),
        "note": item.get("note"),
        "revokedBy": item.get("revokedBy"),
    }
