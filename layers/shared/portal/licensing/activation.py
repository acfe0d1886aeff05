"""Licenses on computers: the product activates and refreshes itself with the customer's
activation key; the customer activates offline, releases (rehosts) and reads the history from the
portal. API.md ("Activation", "Licenses") holds the rules; this module applies them.

- A license is bound to at most one computer. Activate binds the requested license, else the
  oldest free one of that product (compared ignoring case; free: bound to no computer, and not
  revoked - a revoked license is no longer among the customer's licenses). The same computer
  again gets the same binding, with nothing written.
- Binding is a conditional write (portal.data.bindings.bind): of parallel activations of one free
  license exactly one wins; a loser reads again and answers what it then finds.
- Refresh finds the computer's binding on gsi1 and answers the license as it is now, so an
  upgrade, a renewal or a refund reaches the product; `license_moved` for a computer the license
  was released from, `license_revoked` (410) for one whose license was refunded.
- Wrong activation keys answer one identical 401 and are limited per key digest and per source
  IP by the sliding windows of sign-in (portal.accounts.rate_limit, portal.data.rate_windows):
  the failure is recorded in both windows before the 401 is answered, so parallel guesses cannot
  get more answers than the limit.
- Releases are limited per license per 12 months (`REHOSTS_PER_YEAR`); support (portal-admin)
  may release beyond it, audited, recorded in the history as by support.
- Every bind (the product's, the portal's offline activation) and every release tells the
  customer: an `activation_notice` in the outbox, written by the bind's or the release's own
  transaction, addressed by the mailer from the profile at send time (no extra read here). The
  same computer again, a refresh, and a bind that lost a race tell nothing.

DynamoDB calls: activate 3 (the windows with the key lookup; the customer's licenses; the bind),
2 when the computer already holds the license; refresh 3 (the windows with the key lookup; the
computer's entries on gsi1; the customer's licenses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from portal.accounts import rate_limit
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds, utc_text
from portal.config import Settings
from portal.data import bindings, outbox, records
from portal.data.audit import AuditEntry
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import license_from_item
from portal.data.rate_windows import reserve_slots
from portal.data.store import Store
from portal.errors import (
    InvalidActivationKey,
    LicenseInUse,
    LicenseMoved,
    LicenseRevoked,
    NoLicenseAvailable,
    NotActivated,
    RehostLimitReached,
    TooManyAttempts,
)
from portal.ids import ACTIVATION_KEY_SHAPE, normalize_activation_key
from portal.licensing import license_files
from portal.models import BY_SUPPORT, HistoryEntry, License, Page
from portal.observability import count

RETRIES = 3  # reads again after a parallel request changed what was read


@dataclass(frozen=True, slots=True)
class Activation:
    """The license bound to the computer, its signed file, and the customer's licenses of that
    product as they are now."""

    license: License
    license_file: bytes
    licenses: list[License]


# ---------------------------------------------------------------- the product's calls
def activate(
    activation_key: str,
    computer_id: str,
    computer_name: str,
    product: str,
    license_id: str | None,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> Activation:
    customer_id = _customer_of(
        activation_key, client_ip, store=store, settings=settings, clock=clock
    )
    wanted = product.casefold()
    for _ in range(RETRIES):
        licenses = [
            lic
            for lic in bindings.licenses_of(store, customer_id)
            if lic.software.casefold() == wanted
        ]
        chosen = _choose(licenses, license_id, computer_id)
        if chosen is None:
            if license_id is not None and bindings.revoked_license(store, customer_id, license_id):
                raise LicenseRevoked()
            raise NoLicenseAvailable()
        if chosen.computer_id == computer_id:
            count("LicenseReactivated")
            return _answer(chosen, licenses, settings.product_file_days, settings, clock)
        bound = replace(chosen, computer_id=computer_id, computer_name=computer_name)
        now = clock.now()
        notice = activation_notice(customer_id, bound, "activated", now)
        if bindings.bind(store, customer_id, bound, at=now, notice=notice):
            count("LicenseActivated")
            licenses = [bound if lic.license_id == bound.license_id else lic for lic in licenses]
            return _answer(bound, licenses, settings.product_file_days, settings, clock)
        # a parallel activation bound it meanwhile: read again
    raise LicenseInUse() if license_id is not None else NoLicenseAvailable()


def refresh(
    activation_key: str,
    computer_id: str,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> Activation:
    customer_id = _customer_of(
        activation_key, client_ip, store=store, settings=settings, clock=clock
    )
    entries = bindings.computer_entries(store, customer_id, computer_id)
    if entries.bound:
        licenses = bindings.licenses_of(store, customer_id)
        here = [lic for lic in licenses if lic.computer_id == computer_id]
        if here:  # the oldest license bound to this computer (one file holds one license)
            lic = here[0]
            wanted = lic.software.casefold()
            same = [other for other in licenses if other.software.casefold() == wanted]
            count("LicenseRefreshed")
            return _answer(lic, same, settings.product_file_days, settings, clock)
    if entries.revoked:
        raise LicenseRevoked()
    if entries.released or entries.bound:  # bound elsewhere since (the index lagged a release)
        raise LicenseMoved()
    raise NotActivated()


def _customer_of(
    activation_key: str, client_ip: str, *, store: Store, settings: Settings, clock: Clock
) -> str:
    """Who owns the key; a wrong key (any wrong key, whatever its shape) is recorded as a failure
    in both windows, then answered with the one InvalidActivationKey. A full window answers
    TooManyAttempts before the key is looked at."""
    key = normalize_activation_key(activation_key)
    limits = [
        rate_limit.Limit("AKEY", key, settings.activation_failures_per_key),
        rate_limit.Limit("AIP", client_ip, settings.activation_failures_per_ip),
    ]
    for _ in range(RETRIES):
        now = clock.now()
        read = bindings.read_activation(store, windows=limits, activation_key=key)
        try:
            reservations = rate_limit.reserve_all(
                limits, read.windows, now, settings.activation_window_seconds
            )
        except TooManyAttempts:
            count("ActivationThrottled")
            raise
        if read.customer_id is not None and ACTIVATION_KEY_SHAPE.fullmatch(key):
            return read.customer_id
        expires = epoch_seconds(now) + settings.activation_window_seconds + 3600
        if reserve_slots(store, reservations, expires_at=expires):
            count("ActivationFailed")
            raise InvalidActivationKey()
        # a parallel failure took a slot we read: read again (the window may be full now)
    count("ActivationThrottled")
    raise TooManyAttempts(1)


def _choose(
    licenses: Sequence[License], license_id: str | None, computer_id: str
) -> License | None:
    """The license to bind (or already bound to this computer); None: none to offer."""
    if license_id is not None:
        requested = next((lic for lic in licenses if lic.license_id == license_id), None)
        if requested is not None and requested.bound and requested.computer_id != computer_id:
            raise LicenseInUse()
        return requested
    here = next((lic for lic in licenses if lic.computer_id == computer_id), None)
    return here or next((lic for lic in licenses if not lic.bound), None)


def activation_notice(
    customer_id: str, lic: License, action: str, at: datetime
) -> outbox.OutboxMessage:
    """The customer's activation notice of `lic` bound to (or released from) its computer, for
    the outbox; address and language are the customer's when it is sent (portal.mail.render:
    activation_notice)."""
    assert lic.computer_id is not None
    return outbox.new_message(
        "activation_notice",
        customer_id=customer_id,
        data={
            "licenseId": lic.license_id,
            "software": lic.software,
            "serialNumber": lic.serial_number,
            "computerId": lic.computer_id,
            "computerName": lic.computer_name or "",
            "action": action,
            "at": utc_text(at),
        },
        at=at,
    )


def _answer(
    lic: License, licenses: list[License], days: int, settings: Settings, clock: Clock
) -> Activation:
    signed = license_files.signed_license(lic, issued_at=clock.now(), days=days, settings=settings)
    return Activation(license=lic, license_file=signed, licenses=licenses)


# ---------------------------------------------------------------- the portal's calls
def activate_offline(
    customer_id: str,
    license_id: str,
    computer_id: str,
    computer_name: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> Activation:
    """Offline activation: bind the customer's license to a computer without internet, with the
    product's rules, and hand over a long-lived file (DOWNLOAD_FILE_DAYS)."""
    for _ in range(RETRIES):
        lic = _owned(store, customer_id, license_id)
        if lic.computer_id == computer_id:
            return _answer(lic, [lic], settings.download_file_days, settings, clock)
        if lic.bound:
            raise LicenseInUse()
        bound = replace(lic, computer_id=computer_id, computer_name=computer_name)
        now = clock.now()
        notice = activation_notice(customer_id, bound, "activated", now)
        if bindings.bind(store, customer_id, bound, at=now, notice=notice):
            count("LicenseActivatedOffline")
            return _answer(bound, [bound], settings.download_file_days, settings, clock)
    raise LicenseInUse()


def release(
    customer_id: str,
    license_id: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
    support: AuditEntry | None = None,
) -> License:
    """Release the license from its computer so that it can be activated elsewhere: at most
    REHOSTS_PER_YEAR times in 12 months (RehostLimitReached names the day one frees up).

    `support`: the release is support's (portal-admin), with this audit entry in its transaction:
    the limit does not apply and this release does not count against it (the customer's own
    releases keep their dates), and the history says support did it. The customer's activation
    notice goes out either way."""
    for _ in range(RETRIES):
        lic = _owned(store, customer_id, license_id)
        if not lic.bound:
            raise NotActivated()
        now = clock.now()
        recent = recent_releases(lic, now)
        if support is None and len(recent) >= settings.rehosts_per_year:
            frees = _frees_up(recent[len(recent) - settings.rehosts_per_year])
            raise RehostLimitReached(available_on=frees.date())
        releases = recent if support is not None else [*recent, now]
        notice = activation_notice(customer_id, lic, "released", now)
        if bindings.release(
            store,
            customer_id,
            lic,
            at=now,
            releases=releases,
            notice=notice,
            by=BY_SUPPORT if support is not None else None,
            audit=support,
        ):
            if support is not None:
                count("LicenseReleasedBySupport")
            else:
                count("LicenseReleased")
            return replace(lic, computer_id=None, computer_name=None, releases=tuple(releases))
        # released or rebound by a parallel request: read again
    raise NotActivated()


def recent_releases(lic: License, now: datetime) -> list[datetime]:
    """The license's releases that count against the limit at `now` (the last 12 months),
    oldest first."""
    return sorted(at for at in lic.releases if _frees_up(at) > now)


def history(
    customer_id: str, license_id: str, query: PageQuery, *, store: Store, cursors: Cursors
) -> Page[HistoryEntry]:
    """The license's bindings and releases, newest first; another customer's license (or none)
    is NotFound, exactly like a missing one."""
    page = bindings.history_page(store, customer_id, license_id, query, cursors=cursors)
    if not page.items and not query.cursor:
        _owned(store, customer_id, license_id)  # nothing recorded yet: is it theirs at all?
    return page


def _owned(store: Store, customer_id: str, license_id: str) -> License:
    return license_from_item(records.owned_record(store, records.LICENSES, customer_id, license_id))


def _frees_up(released_at: datetime) -> datetime:
    """A release counts against the limit for 12 months (29 February: until 28 February)."""
    try:
        return released_at.replace(year=released_at.year + 1)
    except ValueError:
        return released_at.replace(year=released_at.year + 1, day=28)
