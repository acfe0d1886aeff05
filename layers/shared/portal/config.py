"""Settings: environment variables read once into a validated, frozen object.

Nothing is read at import time; `get_settings()` reads on first use and caches, and tests call
`get_settings.cache_clear()` (or build `Settings` directly) when they change the environment.
A plain dataclass with explicit checks: no validation library on the cold-start path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from portal.types import EMAIL_SHAPE

SESSION_COOKIE = "__Host-portal_session"
PENDING_COOKIE = "__Host-portal_pending"  # a sign-in waiting for its mailed code
TRUST_COOKIE = "__Host-portal_trust"  # a browser that proved control of the customer's mailbox
# How long a mailed code (and so the pending cookie) and a browser's trust (and its cookie) last:
# here with the cookies, so that the edge sets them without loading the verification code.
CODE_SECONDS = 10 * 60
TRUST_SECONDS = 90 * 24 * 60 * 60
STAGES = ("local", "dev", "prod", "test")
# Reminders go out from a year before a support ends to a month after.
REMINDER_EARLIEST, REMINDER_LATEST = -30, 365
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")
_PARAMETER_NAME = re.compile(r"^(/[A-Za-z0-9_.\-]+){1,15}$")


UTC_ZONE = "UTC"


class InvalidSettings(ValueError):
    """The environment does not describe a usable portal."""


def _check_time_zone(name: str) -> None:
    """Only the reminder job sets a zone: zoneinfo (and the tz file) load only then."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSettings("REMINDER_TIMEZONE must be an IANA time zone name") from None


def _bounded(minimum: int, maximum: int | None = None) -> dict[str, int | None]:
    return {"min": minimum, "max": maximum}


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    portal_origin: str
    stage: str = "dev"
    secrets_prefix: str = "customer-portal/dev/"
    # The front door (portal.edge.front_door): every HTTP request must carry CloudFront's secret
    # origin header, and only then is the client address CloudFront's viewer address. Off only on
    # the local stack, which has no CloudFront (the client is the TCP peer there).
    origin_verify: bool = True
    allow_test_orders: bool = False
    # Where a checkout URL may point: scheme://host[:port] of the FastSpring store
    # (https://<store>.onfastspring.com in AWS, the FastSpring stand-in locally).
    fastspring_checkout_base: str = "https://example.onfastspring.com"
    fastspring_api_base: str = "https://api.fastspring.com"
    # KMS: the symmetric key sealing activation keys; the RSA keys signing license files
    # (comma-separated, the first signs, all are published). The SSM parameter named by
    # SIGNING_KEYS_PARAMETER_NAME, when it exists, lists them instead (portal.aws.signing_keys:
    # `portal-admin rotate signing-key` writes it); empty: the environment's list only.
    activation_key_sealing_key_id: str = ""
    license_signing_key_ids: str = ""
    signing_keys_parameter_name: str = ""
    # Mail: the address it comes from (an SES identity of the template) and the support contact
    # every message names.
    mail_from: str = "noreply@example.com"
    support_email: str = "support@example.com"

    session_idle_seconds: int = field(default=30 * 60, metadata=_bounded(60))
    session_absolute_seconds: int = field(default=12 * 60 * 60, metadata=_bounded(300))
    login_window_seconds: int = field(default=15 * 60, metadata=_bounded(60))
    login_failures_per_account: int = field(default=10, metadata=_bounded(1, 100))
    login_failures_per_ip: int = field(default=100, metadata=_bounded(1, 1000))
    # Verified sign-in (docs/decisions.md): a browser proves control of the mailbox once (a mailed
    # code or link). Off is weaker (email + any order number is enough): never in production.
    verify_sign_in: bool = True
    # Sign-in codes and links mailed per email address per hour (no mail bombing).
    sign_in_mails_per_hour: int = field(default=5, metadata=_bounded(1, 50))
    # Activation by the product: failed attempts (a wrong activation key) per key and per IP.
    activation_window_seconds: int = field(default=15 * 60, metadata=_bounded(60))
    activation_failures_per_key: int = field(default=10, metadata=_bounded(1, 100))
    activation_failures_per_ip: int = field(default=100, metadata=_bounded(1, 1000))
    # License files: the refresh-by date of the product's files and of downloaded/offline ones.
    product_file_days: int = field(default=30, metadata=_bounded(1, 366))
    download_file_days: int = field(default=365, metadata=_bounded(1, 3660))
    # Releases of one license from its computer per 12 months (rehosting from the portal).
    rehosts_per_year: int = field(default=3, metadata=_bounded(1, 100))
    # The reminder job (portal.mail.reminders): days before a support's end date each reminder
    # goes out (negative: after it), the time zone whose calendar day a scheduled run is for, and
    # how many earlier days each run covers too (a failed or missed day is sent by the next run).
    reminder_thresholds: tuple[int, ...] = (30, 7, -1)
    reminder_timezone: str = UTC_ZONE
    reminder_catch_up_days: int = field(default=3, metadata=_bounded(0, 30))

    def __post_init__(self) -> None:
        if not 3 <= len(self.table_name) <= 255:
            raise InvalidSettings("TABLE_NAME must be 3-255 characters")
        if self.stage not in STAGES:
            raise InvalidSettings(f"STAGE must be one of {', '.join(STAGES)}")
        if not self.origin_verify and self.stage != "local":
            raise InvalidSettings("ORIGIN_VERIFY may be off only on the local stage")
        if not _ORIGIN.fullmatch(self.portal_origin):
            raise InvalidSettings("PORTAL_ORIGIN must be scheme://host[:port]")
        if not _ORIGIN.fullmatch(self.fastspring_checkout_base) or (
            self.stage != "local" and not self.fastspring_checkout_base.startswith("https://")
        ):
            raise InvalidSettings("FASTSPRING_CHECKOUT_BASE must be https://host[:port]")
        if self.signing_keys_parameter_name and not _PARAMETER_NAME.fullmatch(
            self.signing_keys_parameter_name
        ):
            raise InvalidSettings("SIGNING_KEYS_PARAMETER_NAME must be an SSM name (/a/b/c)")
        for name in ("mail_from", "support_email"):
            if not EMAIL_SHAPE.fullmatch(getattr(self, name)):
                raise InvalidSettings(f"{name.upper()} must be an email address")
        thresholds = self.reminder_thresholds
        if (
            not thresholds
            or len(set(thresholds)) != len(thresholds)
            or not all(REMINDER_EARLIEST <= t <= REMINDER_LATEST for t in thresholds)
        ):
            raise InvalidSettings(
                f"REMINDER_THRESHOLDS must be distinct whole numbers of days in "
                f"[{REMINDER_EARLIEST}, {REMINDER_LATEST}]"
            )
        if self.reminder_timezone != UTC_ZONE:  # UTC is always there (tzdata is in the layer)
            _check_time_zone(self.reminder_timezone)
        for item in fields(self):
            bounds = item.metadata
            if bounds:
                value = getattr(self, item.name)
                if value < bounds["min"] or (bounds["max"] is not None and value > bounds["max"]):
                    raise InvalidSettings(f"{item.name} out of range")

    @property
    def signing_key_ids(self) -> list[str]:
        return [key.strip() for key in self.license_signing_key_ids.split(",") if key.strip()]


_ENV = {
    "table_name": "TABLE_NAME",
    "stage": "STAGE",
    "portal_origin": "PORTAL_ORIGIN",
    "secrets_prefix": "SECRETS_PREFIX",
    "origin_verify": "ORIGIN_VERIFY",
    "allow_test_orders": "ALLOW_TEST_ORDERS",
    "fastspring_checkout_base": "FASTSPRING_CHECKOUT_BASE",
    "fastspring_api_base": "FASTSPRING_API_BASE",
    "activation_key_sealing_key_id": "ACTIVATION_KEY_SEALING_KEY_ID",
    "license_signing_key_ids": "LICENSE_SIGNING_KEY_IDS",
    "signing_keys_parameter_name": "SIGNING_KEYS_PARAMETER_NAME",
    "mail_from": "MAIL_FROM",
    "support_email": "SUPPORT_EMAIL",
    "product_file_days": "PRODUCT_FILE_DAYS",
    "download_file_days": "DOWNLOAD_FILE_DAYS",
    "rehosts_per_year": "REHOSTS_PER_YEAR",
    "verify_sign_in": "VERIFY_SIGN_IN",
    "reminder_thresholds": "REMINDER_THRESHOLDS",
    "reminder_timezone": "REMINDER_TIMEZONE",
    "reminder_catch_up_days": "REMINDER_CATCH_UP_DAYS",
}
_INTEGERS = (
    "product_file_days",
    "download_file_days",
    "rehosts_per_year",
    "reminder_catch_up_days",
)


def settings_from(env: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {name: env[var] for name, var in _ENV.items() if var in env}
    if "table_name" not in values or "portal_origin" not in values:
        raise InvalidSettings("TABLE_NAME and PORTAL_ORIGIN are required")
    if "allow_test_orders" in values:
        values["allow_test_orders"] = values["allow_test_orders"].strip().lower() in {
            "1",
            "true",
            "yes",
        }
    if "verify_sign_in" in values:
        # On unless switched off explicitly: a typo must not weaken sign-in.
        values["verify_sign_in"] = values["verify_sign_in"].strip().lower() not in {
            "0",
            "false",
            "no",
            "off",
        }
    if "origin_verify" in values:
        switch = values["origin_verify"].strip().lower()
        if switch not in {"on", "off"}:
            raise InvalidSettings("ORIGIN_VERIFY must be on or off")
        values["origin_verify"] = switch == "on"
    if "reminder_thresholds" in values:
        try:
            values["reminder_thresholds"] = tuple(
                int(part) for part in values["reminder_thresholds"].split(",")
            )
        except ValueError:
            raise InvalidSettings(
                "REMINDER_THRESHOLDS must be whole numbers of days, comma-separated (30,7,-1)"
            ) from None
    for name in _INTEGERS:
        if name in values:
            try:
                values[name] = int(values[name])
            except ValueError:
                raise InvalidSettings(f"{_ENV[name]} must be a whole number") from None
    return Settings(**values)


@cache
def get_settings() -> Settings:
    return settings_from(os.environ)
