"""The customer's licenses: a page of them (one Query, newest purchase first) and the signed file
of one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from portal.clock import SYSTEM_CLOCK, Clock
from portal.config import Settings
from portal.data import keys
from portal.data.cursors import PageQuery, decode_cursor, encode_cursor
from portal.data.items import license_from_item
from portal.data.store import Item, Store
from portal.errors import NotFound
from portal.ids import ULID_SHAPE, is_ulid
from portal.licensing import license_files
from portal.models import License, Page

T = TypeVar("T")
_CURSOR_FIELDS = {"after": ULID_SHAPE}


def list_licenses(customer_id: str, query: PageQuery, *, store: Store) -> Page[License]:
    return page_of(customer_id, keys.LICENSE_PREFIX, query, store, license_from_item, "licenseId")


def page_of(
    customer_id: str,
    prefix: str,
    query: PageQuery,
    store: Store,
    to_model: Callable[[Item], T],
    id_field: str,
) -> Page[T]:
    start = None
    if query.cursor:
        after = decode_cursor(query.cursor, _CURSOR_FIELDS)["after"]
        start = {"pk": keys.customer_pk(customer_id), "sk": prefix + after}
    # One item more than asked tells whether a next page exists, in the same round trip.
    result = store.query(
        partition=("pk", keys.customer_pk(customer_id)),
        sort_prefix=("sk", prefix),
        limit=query.limit + 1,
        newest_first=True,
        start_key=start,
    )
    rows = result.items[: query.limit]
    more = len(result.items) > query.limit
    next_cursor = encode_cursor({"after": str(rows[-1][id_field])}) if more and rows else None
    return Page(items=[to_model(row) for row in rows], next_cursor=next_cursor)


def owned(store: Store, key: keys.Key, record_id: str) -> Item:
    """The customer's record at `key` (the key holds the session's customer id), else NotFound:
    another customer's id and a malformed one answer exactly like a missing one."""
    item = store.get(key) if is_ulid(record_id) else None
    if item is None:
        raise NotFound()
    return item


def license_file(
    customer_id: str,
    license_id: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[str, bytes]:
    """(file name, signed .lic bytes) of one of the customer's licenses."""
    lic = license_from_item(owned(store, keys.license_key(customer_id, license_id), license_id))
    now = clock.now()
    document = {
        "kind": "license",
        "license": {
            "id": lic.license_id,
            "software": lic.software,
            "serialNumber": lic.serial_number,
            "computerName": lic.computer_name,
            "days": lic.days,
            "users": lic.users,
            "edition": lic.edition,
            "computers": lic.quantity,
            "orderNumber": lic.order_number,
            "purchasedOn": lic.purchased_on.isoformat(),
            "supportUntil": lic.support.until.isoformat() if lic.support else None,
        },
    }
    signed = license_files.sign(
        document,
        issued_at=now,
        expires_at=now + license_files.LICENSE_FILE_VALIDITY,
        settings=settings,
    )
    return license_files.file_name("license", lic.serial_number, lic.license_id), signed
