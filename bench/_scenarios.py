"""A realistic first event for every function, made against the local stack (moto server, demo
data) the way a person, the product, FastSpring or the schedule would cause it.

bench/cold_init.py records each function serving its event here once, then replays it in fresh
processes; tests/template/test_init_imports.py serves the same events to check what a handler
loads. `events(stack)` returns them by functions/ folder, in an order where no event spoils a
later one (the sign-out of every browser comes last).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from local import aws
from local import fastspring as fs
from local.demo_data import DEMO_EMAIL, DEMO_ORDER, SECOND_EMAIL, SECOND_ORDER
from local.stack import LocalStack
from portal.fastspring.signatures import signature
from tests.support import PENDING_COOKIE, HttpClient, event, sample_event, signed_in_client

WEBHOOK = "fastspring_webhook"
_WEBHOOK_SECRET = aws.LOCAL_SECRETS_PREFIX + "fastspring-webhook"


def sign_in(stack: LocalStack, email: str = DEMO_EMAIL, order: str = DEMO_ORDER) -> str:
    """A session over HTTP, signed in like a person (the code from the stack's mailbox)."""
    client = signed_in_client(stack.base_url, {"email": email, "orderNumber": order})
    assert client.token
    return client.token


def _pending_code(stack: LocalStack) -> tuple[str, str]:
    """A pending sign-in of the second demo customer over HTTP: (its cookie's token, its code)."""
    client = HttpClient(stack.base_url)
    before = client.mailbox_ids()
    assert client.login(SECOND_EMAIL, SECOND_ORDER).status_code == 202
    code = client.mailed(SECOND_EMAIL, after=before)
    assert client.pending
    return client.pending, code


def _licenses(stack: LocalStack, token: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        stack.base_url + "/api/licenses", headers={"Cookie": f"__Host-portal_session={token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return list(json.load(answer)["items"])


def _upgrade_quote(stack: LocalStack, token: str) -> dict[str, Any]:
    """A quote for the second demo customer's Remote Work license, asked over HTTP."""
    license_id = next(str(lic["id"]) for lic in _licenses(stack, token) if lic["upgradable"])
    request = urllib.request.Request(
        stack.base_url + "/api/upgrades/quotes",
        data=json.dumps({"licenseId": license_id, "additionalWorkstations": 3}).encode(),
        method="POST",
        headers={
            "Cookie": f"__Host-portal_session={token}",
            "Content-Type": "application/json",
            "Origin": stack.base_url,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.load(answer)) | {"licenseId": license_id}


def _get(token: str, origin: str, path: str, route: str, params: dict[str, str]) -> dict:
    """A GET event of the HTTP API for `route` (no sample in events/ for these)."""
    ev = event("me", token=token, origin=origin)
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"GET {route}"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = params or None
    return ev


def _outbox_item(stack: LocalStack) -> dict[str, Any]:
    """The mailer's sample stream record, its outbox item put in the table first (a mail the
    mailer has not sent yet)."""
    record = sample_event("mailer")
    image = record["Records"][0]["dynamodb"]["NewImage"]
    import boto3

    boto3.client("dynamodb", endpoint_url=stack.moto_url).put_item(
        TableName=stack.table_name, Item=image
    )
    return record


def events(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """A first event for every function in functions/, by folder."""
    origin, token, leaving = stack.base_url, sign_in(stack), sign_in(stack)
    license_id = next(str(lic["id"]) for lic in _licenses(stack, token) if lic["computerId"])
    upgrading = sign_in(stack, SECOND_EMAIL, SECOND_ORDER)
    quote = _upgrade_quote(stack, upgrading)
    quote_event = event(
        "upgrade_quote",
        token=upgrading,
        origin=origin,
        body={"licenseId": quote["licenseId"], "additionalWorkstations": 2},
    )
    checkout_event = event("upgrade_checkout", token=upgrading, origin=origin)
    checkout_path = f"/api/upgrades/quotes/{quote['quoteId']}/checkout"
    checkout_event["rawPath"] = checkout_event["requestContext"]["http"]["path"] = checkout_path
    checkout_event["pathParameters"] = {"quote_id": quote["quoteId"]}
    pending, code = _pending_code(stack)
    body = fs.batch(fs.order_completed(email="init.probe@example.com", skus=["T-ENT-5"]))
    webhook = event(WEBHOOK, origin=None)
    webhook["body"], webhook["isBase64Encoded"] = body.decode(), False
    webhook["headers"]["x-fs-signature"] = signature(stack.secrets[_WEBHOOK_SECRET], body)
    forgetting = sign_in(stack)
    license_path = "/api/licenses/{license_id}"
    return {
        "login": event(
            "login", body={"email": DEMO_EMAIL, "orderNumber": DEMO_ORDER}, origin=origin
        ),
        "verify_code": event(
            "verify_code", body={"code": code}, cookies={PENDING_COOKIE: pending}, origin=origin
        ),
        "sign_in_link": event("sign_in_link", body={"email": SECOND_EMAIL}, origin=origin),
        "logout": event("logout", token=leaving, origin=origin),
        "me": event("me", token=token, origin=origin),
        "list_licenses": event("list_licenses", token=token, query={}, origin=origin),
        "list_supports": event("list_supports", token=token, query={}, origin=origin),
        "list_orders": event("list_orders", token=token, query={}, origin=origin),
        "order_detail": event("order_detail", token=token, origin=origin),
        "download_file": _get(
            token,
            origin,
            f"/api/licenses/{license_id}/file",
            license_path + "/file",
            {"license_id": license_id},
        ),
        "activation_keys": _get(token, origin, "/api/activation/keys", "/api/activation/keys", {}),
        "activation": event("activation"),  # the product: the demo key, a new computer
        "manage_license": _get(
            token,
            origin,
            f"/api/licenses/{license_id}/history",
            license_path + "/history",
            {"license_id": license_id},
        ),
        "preferences": event("preferences", token=token, origin=origin),  # PUT {reminders}
        "upgrade_quote": quote_event,  # 201
        "upgrade_checkout": checkout_event,  # a session on the stack's FastSpring stand-in
        WEBHOOK: webhook,
        "reconcile_fastspring": sample_event("reconcile_fastspring"),
        "support_reminders": sample_event("support_reminders"),
        "mailer": _outbox_item(stack),
        "forget_browsers": event("forget_browsers", token=forgetting, origin=origin),
    }
