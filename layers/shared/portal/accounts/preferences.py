"""The customer's reminder preference: read and set by the signed-in customer (the home page's
toggle), and turned off without signing in by the signed link of a reminder mail
(portal.accounts.reminder_links). Every write is idempotent: the same choice twice is the same
state."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts import reminder_links
from portal.clock import Clock, utc_text
from portal.config import Settings
from portal.data import preferences as stored
from portal.data.store import Store
from portal.errors import InvalidLink, NotFound
from portal.observability import count


@dataclass(frozen=True, slots=True)
class Preferences:
    reminders: bool  # support-expiry reminder mails


def preferences(customer_id: str, *, store: Store) -> Preferences:
    """The signed-in customer's preferences (NotFound: the session's customer has no profile)."""
    reminders = stored.reminders_of(store, customer_id)
    if reminders is None:
        raise NotFound()
    return Preferences(reminders=reminders)


def choose(customer_id: str, reminders: bool, *, store: Store, clock: Clock) -> Preferences:
    """The signed-in customer turns reminders on or off."""
    if not stored.set_reminders(store, customer_id, reminders, at=utc_text(clock.now())):
        raise NotFound()
    count("RemindersTurnedOn" if reminders else "RemindersTurnedOff")
    return Preferences(reminders=reminders)


def unsubscribe(token: object, *, store: Store, settings: Settings, clock: Clock) -> Preferences:
    """Turn reminders off for the customer the link was signed for. The token is the only
    authority: a token the portal did not sign, and a signed one whose customer no longer
    exists, both answer InvalidLink, identically, and change nothing."""
    customer_id = reminder_links.customer_of(token, settings)
    if customer_id is None:
        raise InvalidLink()
    if not stored.set_reminders(store, customer_id, False, at=utc_text(clock.now())):
        raise InvalidLink()
    count("RemindersUnsubscribed")
    return Preferences(reminders=False)
