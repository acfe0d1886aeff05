"""The unsubscribe link of a reminder mail: signed, good for its one customer, rotatable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from portal.accounts import reminder_links
from portal.aws import secrets
from portal.ids import new_ulid

DEMO_NOW = datetime(2026, 6, 1, tzinfo=UTC)

A = new_ulid(DEMO_NOW)
B = new_ulid(DEMO_NOW)


def test_a_token_names_its_customer(settings: Any) -> None:
    token = reminder_links.token_for(A, settings)
    assert reminder_links.customer_of(token, settings) == A
    assert reminder_links.customer_of(reminder_links.token_for(B, settings), settings) == B


def test_a_token_cannot_be_re_aimed_at_another_customer(settings: Any) -> None:
    mac = reminder_links.token_for(A, settings).split(".", 1)[1]
    assert reminder_links.customer_of(f"{B}.{mac}", settings) is None


@pytest.mark.parametrize(
    "forged",
    ["", ".", "x", "not-a-ulid.abc", None, 42, "A" * 500],
)
def test_anything_else_is_no_token(settings: Any, forged: object) -> None:
    assert reminder_links.customer_of(forged, settings) is None


def test_a_token_signed_with_another_key_is_refused(settings: Any) -> None:
    forged = f"{A}.{reminder_links._mac('guessed-key', A)}"
    assert reminder_links.customer_of(forged, settings) is None
    token = reminder_links.token_for(A, settings)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert reminder_links.customer_of(tampered, settings) is None


def test_links_mailed_before_a_rotation_keep_working(settings: Any) -> None:
    old = reminder_links.token_for(A, settings)
    name = settings.secrets_prefix + reminder_links.LINK_SECRET
    previous = secrets.get_secret(name)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=name, SecretString=json.dumps({"current": "a-new-key", "previous": previous})
    )
    secrets.forget()
    assert reminder_links.customer_of(old, settings) == A
    new = reminder_links.token_for(A, settings)
    assert new != old and reminder_links.customer_of(new, settings) == A


def test_the_links_point_at_the_portal(settings: Any) -> None:
    token = reminder_links.token_for(A, settings)
    assert reminder_links.unsubscribe_url(settings, token).startswith(
        f"{settings.portal_origin}/unsubscribe.html?token={A}."
    )
    assert reminder_links.one_click_url(settings, token).startswith(
        f"{settings.portal_origin}/api/reminders/unsubscribe?token="
    )


def test_the_page_opens_in_the_mails_language(settings: Any) -> None:
    token = reminder_links.token_for(A, settings)
    assert reminder_links.unsubscribe_url(settings, token, language="de").endswith("&lang=de")
