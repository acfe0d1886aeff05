"""The customer's licenses: a page of them (one Query, newest purchase first) and the signed file
of one."""

from __future__ import annotations

from portal.clock import SYSTEM_CLOCK, Clock
from portal.config import Settings
from portal.data import records
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import license_from_item
from portal.data.store import Store
from portal.errors import NotActivated
from portal.licensing import license_files
from portal.models import License, Page


def list_licenses(
    customer_id: str, query: PageQuery, *, store: Store, cursors: Cursors
) -> Page[License]:
    return records.page_of(
        store, records.LICENSES, customer_id, query, license_from_item, cursors=cursors
    )


def license_file(
    customer_id: str,
    license_id: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[str, bytes]:
    """(file name, signed .lic bytes) of one of the customer's licenses, bound to its computer
    (NotActivated when it is bound to none: activate it, or use offline activation)."""
    lic = license_from_item(records.owned_record(store, records.LICENSES, customer_id, license_id))
    if not lic.bound:
        raise NotActivated()
    signed = license_files.signed_license(
        lic, issued_at=clock.now(), days=settings.download_file_days, settings=settings
    )
    return license_files.file_name("license", lic.serial_number, lic.license_id), signed
