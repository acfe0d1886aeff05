"""Every DynamoDB key of the portal table is built here and nowhere else.

docs/data-model.md tells the same story as a table: access pattern -> key condition -> index.
Secrets that serve as lookups (session tokens, activation keys) and personal data used as keys
(emails, IPs) appear only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

Key = dict[str, str]

GSI1 = "gsi1"  # overloaded: supports by expiry date, licenses by computer
LSI1 = "lsi1"  # per customer: the profile followed by order headers, newest first

PROFILE_SK = "PROFILE"
LICENSE_PREFIX = "LIC#"
SUPPORT_PREFIX = "SUP#"
ORDER_PREFIX = "ORDER#"
ORDERS_LSI_PREFIX = "ORDERS#"
ORDERS_LSI_PROFILE = "ORDERS#~"  # sorts after every ORDERS#<timestamp>: first in a descending Query


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def customer_pk(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def customer_profile(customer_id: str) -> Key:
    return {"pk": customer_pk(customer_id), "sk": PROFILE_SK}


def license_sort_key(license_id: str) -> str:
    """A license's sort key; orders keep these for what each line granted."""
    return f"{LICENSE_PREFIX}{license_id}"


def support_sort_key(support_id: str) -> str:
    return f"{SUPPORT_PREFIX}{support_id}"


def license_key(customer_id: str, license_id: str) -> Key:
    return {"pk": customer_pk(customer_id), "sk": license_sort_key(license_id)}


def support_key(customer_id: str, support_id: str) -> Key:
    return {"pk": customer_pk(customer_id), "sk": support_sort_key(support_id)}


def order_key(customer_id: str, reference: str) -> Key:
    return {"pk": customer_pk(customer_id), "sk": f"{ORDER_PREFIX}{reference}"}


def order_lsi_sort(placed_at_iso: str, reference: str) -> str:
    return f"{ORDERS_LSI_PREFIX}{placed_at_iso}#{reference}"


def support_expiry_gsi_sort(customer_id: str, support_id: str) -> str:
    """gsi1sk of a support: the supports due on one date, grouped by customer."""
    return f"{customer_id}#{support_id}"


# --- the Queries of the portal's pages: key condition, and where a next page starts ---------
@dataclass(frozen=True, slots=True)
class KeyCondition:
    """`partition[0] = partition[1] AND begins_with(sort_prefix[0], sort_prefix[1])` (the whole
    partition when sort_prefix is None) on `index` (None: the table). Never a filter: every Query
    returns what it examines."""

    partition: tuple[str, str]
    sort_prefix: tuple[str, str] | None
    index: str | None = None


def licenses_of(customer_id: str) -> KeyCondition:
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", LICENSE_PREFIX))


def supports_of(customer_id: str) -> KeyCondition:
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", SUPPORT_PREFIX))


def orders_page_of(customer_id: str) -> KeyCondition:
    """The profile (lsi1sk ORDERS#~) and the order headers (ORDERS#<placedAt>#<ref>) on lsi1."""
    return KeyCondition(("pk", customer_pk(customer_id)), ("lsi1sk", ORDERS_LSI_PREFIX), LSI1)


def license_page_start(customer_id: str, after_license_id: str) -> Key:
    """A licenses Query resumes after this key: the license the previous page ended with."""
    return license_key(customer_id, after_license_id)


def support_page_start(customer_id: str, after_support_id: str) -> Key:
    return support_key(customer_id, after_support_id)


def orders_page_start(customer_id: str, placed_at_iso: str, reference: str) -> Key:
    """An lsi1 Query resumes after this key: the table key and the index key of the last order."""
    return {
        **order_key(customer_id, reference),
        "lsi1sk": order_lsi_sort(placed_at_iso, reference),
    }


# --- unique lookups (conditional puts keep them unique) --------------------------------------
def email_lookup(normalized_email: str) -> Key:
    return {"pk": f"EMAIL#{digest(normalized_email)}", "sk": "EMAIL"}


def order_reference_lookup(normalized_reference: str) -> Key:
    return {"pk": f"ORDERREF#{normalized_reference}", "sk": "ORDERREF"}


def activation_key_lookup(normalized_key: str) -> Key:
    return {"pk": f"AKEY#{digest(normalized_key)}", "sk": "AKEY"}


def fastspring_order_lookup(fastspring_order_id: str) -> Key:
    return {"pk": f"FSORDER#{fastspring_order_id}", "sk": "FSORDER"}


def webhook_event(event_id: str) -> Key:
    return {"pk": f"FSEVENT#{event_id}", "sk": "FSEVENT"}


# --- sessions and rate limits ----------------------------------------------------------------
def session_key(token: str) -> Key:
    return {"pk": f"SESSION#{digest(token)}", "sk": "SESSION"}


def rate_limit_key(kind: str, subject: str) -> Key:
    return {"pk": f"RATE#{kind}#{digest(subject)}", "sk": "RATE"}


# --- verified sign-in: a pending sign-in (a mailed code), a sign-in link, a trusted browser ----
def pending_sign_in_key(token: str) -> Key:
    """A sign-in waiting for its mailed code, keyed by the digest of the pending cookie's token."""
    return {"pk": f"PENDING#{digest(token)}", "sk": "PENDING"}


def sign_in_link_key(token: str) -> Key:
    """A mailed one-time sign-in link, keyed by the digest of its token."""
    return {"pk": f"LINK#{digest(token)}", "sk": "LINK"}


def trusted_browser_key(token: str) -> Key:
    """A browser that proved control of a customer's mailbox, keyed by the digest of its trust
    cookie's token."""
    return {"pk": f"TRUST#{digest(token)}", "sk": "TRUST"}


def trusted_browsers_gsi(customer_id: str) -> str:
    """gsi1pk of a trusted browser and of a session (gsi1sk: the item's pk, `TRUST#…` /
    `SESSION#…`): all of one customer's, to revoke them together."""
    return f"TRUSTED#{customer_id}"


def sign_ins_of(customer_id: str) -> KeyCondition:
    """Every trusted browser and every session of one customer, on gsi1 (the partition holds
    nothing else)."""
    return KeyCondition(("gsi1pk", trusted_browsers_gsi(customer_id)), None, GSI1)


# --- later patterns (documented in docs/data-model.md) -----------------------------------------
def quote_key(customer_id: str, quote_id: str) -> Key:
    return {"pk": customer_pk(customer_id), "sk": f"QUOTE#{quote_id}"}


REMINDER_PREFIX = "REMINDER#"


def reminder_key(customer_id: str, support_id: str, expires_on: str, kind: str) -> Key:
    """The record that the reminder `kind` (its threshold: "30", "7", "-1") of one support ending
    on `expires_on` was sent (or is being sent): claimed, then marked sent, conditionally."""
    return {
        "pk": customer_pk(customer_id),
        "sk": f"{REMINDER_PREFIX}{support_id}#{expires_on}#{kind}",
    }


def support_expiry_gsi(expires_on: str) -> str:
    return f"SUPEXP#{expires_on}"


def supports_ending_on(expires_on: str) -> KeyCondition:
    """Every support ending on one date, on gsi1 (the partition holds nothing else), grouped by
    customer (`gsi1sk = <customerId>#<supportId>`)."""
    return KeyCondition(("gsi1pk", support_expiry_gsi(expires_on)), None, GSI1)


HELD_UPGRADES_GSI = "HELDUPGRADE"


def held_upgrade_gsi(placed_at_iso: str, customer_id: str, reference: str) -> Key:
    """The sparse gsi1 keys of an order with an upgrade line held for review (written by
    ingestion, gone once support approved or rejected it, or FastSpring refunded the line):
    every held upgrade in one partition, oldest order first."""
    return {
        "gsi1pk": HELD_UPGRADES_GSI,
        "gsi1sk": f"{placed_at_iso}#{customer_id}#{reference}",
    }


def held_upgrades() -> KeyCondition:
    """Every order with a held upgrade line, on gsi1 (the partition holds nothing else)."""
    return KeyCondition(("gsi1pk", HELD_UPGRADES_GSI), None, GSI1)


def customer_of_order(order_item_pk: str) -> str:
    """The customer id of an order item's partition key (`CUST#<id>`)."""
    return order_item_pk.removeprefix(customer_pk(""))


def customer_of_support_entry(gsi1sk: str) -> str:
    """The customer id of a `supports_ending_on` entry."""
    return gsi1sk.partition("#")[0]


def computer_gsi(computer_id: str) -> str:
    return f"COMPUTER#{digest(computer_id)}"


# --- computer bindings (activation, refresh, rehosting) ---------------------------------------
# On gsi1 under COMPUTER#<digest(computerId)>, each customer's entries start with its id, so one
# Query reads exactly one customer's bindings of one computer: the license bound there
# (`<cid>#LIC#<id>`), the revoked copy of one that was (`<cid>#REVOKED#LIC#<id>`) and the history
# entry of each release from it (`<cid>#RELEASED#<id>#<at>`).
HISTORY_PREFIX = "HIST#"
BOUND = "LIC#"
REVOKED_BINDING = "REVOKED#LIC#"
RELEASED_BINDING = "RELEASED#"


def computer_binding_sort(customer_id: str, license_id: str) -> str:
    """gsi1sk of a bound license."""
    return f"{customer_id}#{BOUND}{license_id}"


def revoked_binding_sort(customer_id: str, license_id: str) -> str:
    """gsi1sk of the revoked copy of a license that was bound."""
    return f"{customer_id}#{REVOKED_BINDING}{license_id}"


def released_binding_sort(customer_id: str, license_id: str, at_iso: str) -> str:
    """gsi1sk of the history entry of a release: the computer the license left."""
    return f"{customer_id}#{RELEASED_BINDING}{license_id}#{at_iso}"


def bindings_of_computer(customer_id: str, computer_id: str) -> KeyCondition:
    """One customer's entries of one computer on gsi1 (bound, revoked, released)."""
    return KeyCondition(("gsi1pk", computer_gsi(computer_id)), ("gsi1sk", f"{customer_id}#"), GSI1)


def computer_entry_kind(customer_id: str, gsi1sk: str) -> str:
    """What one of `bindings_of_computer`'s entries is: BOUND, REVOKED_BINDING, RELEASED_BINDING
    (or "" for anything else)."""
    entry = gsi1sk.removeprefix(f"{customer_id}#")
    for kind in (REVOKED_BINDING, RELEASED_BINDING, BOUND):
        if entry.startswith(kind):
            return kind
    return ""


def history_position(sort_key: str) -> str:
    """Where a history entry sits (its sequence number), as a cursor names it."""
    return sort_key.rsplit("#", 1)[-1]


def history_key(customer_id: str, license_id: str, sequence: int) -> Key:
    """Entry number `sequence` (1, 2, ...) of a license's history: the sort order is the order
    of events, even within one second."""
    return {"pk": customer_pk(customer_id), "sk": f"{HISTORY_PREFIX}{license_id}#{sequence:08d}"}


def history_of(customer_id: str, license_id: str) -> KeyCondition:
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", f"{HISTORY_PREFIX}{license_id}#"))


def history_page_start(customer_id: str, license_id: str, after: str) -> Key:
    """A history Query resumes after this entry (`after`: its sequence number)."""
    return history_key(customer_id, license_id, int(after))


def revoked_license_key(customer_id: str, license_id: str) -> Key:
    return revoked_copy(customer_id, license_sort_key(license_id))


# --- FastSpring refunds (webhook ingestion) --------------------------------------------------
REVOKED_PREFIX = "REVOKED#"


def fastspring_return_lookup(return_id: str) -> Key:
    return {"pk": f"FSRETURN#{return_id}", "sk": "FSRETURN"}


def revoked_copy(customer_id: str, sort_key: str) -> Key:
    """What a refund removed (`LIC#…` / `SUP#…`), kept beside the customer's records."""
    return {"pk": customer_pk(customer_id), "sk": f"{REVOKED_PREFIX}{sort_key}"}


def revoked_of(customer_id: str) -> KeyCondition:
    """Every revoked copy of one customer (licenses and supports, by a refund or by support)."""
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", REVOKED_PREFIX))


# --- mail: the outbox and the record of every send ----------------------------------------------
OUTBOX_PREFIX = "OUTBOX#"  # the mailer's stream filter (template.yaml) matches this prefix
MAIL_PREFIX = "MAIL#"


def outbox_key(outbox_id: str) -> Key:
    """An outbox item: mail a request or an event caused, written in that change's transaction."""
    return {"pk": f"{OUTBOX_PREFIX}{outbox_id}", "sk": "OUTBOX"}


def mail_record_key(customer_id: str, record_id: str) -> Key:
    """The record of one send, in the customer's partition (`record_id`: the outbox id, a ULID,
    so the records sort by when the mail was asked for)."""
    return {"pk": customer_pk(customer_id), "sk": f"{MAIL_PREFIX}{record_id}"}


def mails_of(customer_id: str) -> KeyCondition:
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", MAIL_PREFIX))


# ---------------------------------------------------------------- audit (portal-admin)
AUDIT_PREFIX = "AUDIT#"
VENDOR_AUDIT_PK = "AUDIT#VENDOR"  # changes that concern no one customer (a rotated secret)


def audit_key(customer_id: str | None, audit_id: str) -> Key:
    """One change made by the support team: in the customer's partition (their lookup shows it)
    or, for a vendor-wide change, in `AUDIT#VENDOR`. `audit_id` is a ULID (sorts by time)."""
    pk = customer_pk(customer_id) if customer_id else VENDOR_AUDIT_PK
    return {"pk": pk, "sk": f"{AUDIT_PREFIX}{audit_id}"}


def audit_gsi(audit_id: str, month: str) -> Key:
    """Every audit item also on gsi1 by month (`AUDIT#2026-12`), newest first by its ULID."""
    return {"gsi1pk": f"{AUDIT_PREFIX}{month}", "gsi1sk": audit_id}


def audits_of(customer_id: str) -> KeyCondition:
    return KeyCondition(("pk", customer_pk(customer_id)), ("sk", AUDIT_PREFIX))


def audits_in(month: str) -> KeyCondition:
    return KeyCondition(("gsi1pk", f"{AUDIT_PREFIX}{month}"), None, GSI1)
