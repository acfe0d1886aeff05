"""The customer's support contracts: a page of them (one Query, newest purchase first) and the
signed support file of one, which expires when the support does."""

from __future__ import annotations

from datetime import UTC, datetime, time

from portal.clock import SYSTEM_CLOCK, Clock
from portal.config import Settings
from portal.data import records
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import support_from_item
from portal.data.store import Store
from portal.licensing import license_files
from portal.models import Page, Support


def list_supports(
    customer_id: str, query: PageQuery, *, store: Store, cursors: Cursors
) -> Page[Support]:
    return records.page_of(
        store, records.SUPPORTS, customer_id, query, support_from_item, cursors=cursors
    )


def support_file(
    customer_id: str,
    support_id: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[str, bytes]:
    """(file name, signed .lic bytes) of one of the customer's support contracts; the file
    expires when the support does."""
    sup = support_from_item(records.owned_record(store, records.SUPPORTS, customer_id, support_id))
    document = {
        "kind": "support",
        "support": {
            "id": sup.support_id,
            "software": sup.software,
            "serialNumber": sup.serial_number,
            "users": sup.users,
            "edition": sup.edition,
            "orderNumber": sup.order_number,
            "purchasedOn": sup.purchased_on.isoformat(),
            "durationYears": sup.duration_years,
            "expiresOn": sup.expires_on.isoformat(),
        },
    }
    signed = license_files.sign(
        document,
        issued_at=clock.now(),
        expires_at=datetime.combine(sup.expires_on, time(23, 59, 59), tzinfo=UTC),
        settings=settings,
    )
    return license_files.file_name("support", sup.serial_number, sup.support_id), signed
