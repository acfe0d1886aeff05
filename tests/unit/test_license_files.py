"""Signed license and support files (SECURITY.md 20, 27) and the published keys."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from product_sdk.verify_license import InvalidLicenseFile, verify
from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
SECOND = {"email": "ana.mueller@example.de", "orderNumber": "JWT241105-4410-77215"}


def sign_in(who: dict) -> str:
    return session_token(invoke("login", event("login", body=who)))


def download(kind: str, token: str | None, record_id: str) -> dict:
    ev = event("list_licenses", token=token, query={})
    path = f"/api/{kind}/{record_id}/file"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = {("license_id" if kind == "licenses" else "support_id"): record_id}
    ev.pop("queryStringParameters", None)
    return invoke("download_file", ev)


def published() -> dict[str, str]:
    keys = body_of(
        invoke(
            "activation_keys",
            event("me", token=None)
            | {
                "rawPath": "/api/activation/keys",
                "requestContext": event("me")["requestContext"]
                | {
                    "http": event("me")["requestContext"]["http"] | {"path": "/api/activation/keys"}
                },
            },
        )
    )["keys"]
    return {k["kid"]: k["publicKey"] for k in keys}


def listed(kind: str, token: str) -> list[dict]:
    return body_of(invoke(f"list_{kind}", event(f"list_{kind}", token=token, query={})))["items"]


def content_of(response: dict) -> bytes:
    body = response["body"]
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


@pytest.mark.parametrize("kind,count", [("licenses", 5), ("supports", 7)])
def test_every_file_downloads_signed_and_verifies_with_the_published_key(seeded, kind, count):
    token = sign_in(DEMO)
    items = body_of(invoke(f"list_{kind}", event(f"list_{kind}", token=token, query={})))["items"]
    assert len(items) == count
    keys = published()
    for item in items:
        response = download(kind, token, item["id"])
        assert response["statusCode"] == 200
        disposition = response["headers"]["Content-Disposition"]
        assert disposition.startswith('attachment; filename="') and disposition.endswith('.lic"')
        name = disposition.split('"')[1]
        assert all(c.isalnum() or c in "-." for c in name)
        payload = verify(content_of(response), keys)
        record = payload["license" if kind == "licenses" else "support"]
        assert record["id"] == item["id"] and record["serialNumber"] == item["serialNumber"]
        assert {"kid", "alg", "issuedAt", "expiresAt"} <= set(payload)
        assert payload["alg"] == "PS256"


def test_a_tampered_file_never_verifies(seeded):
    token = sign_in(DEMO)
    lic = listed("licenses", token)[0]
    original = content_of(download("licenses", token, lic["id"]))
    keys = published()
    envelope = json.loads(original)
    payload = json.loads(base64.urlsafe_b64decode(envelope["payload"] + "=="))
    payload["license"]["users"] = 999
    forged = dict(
        envelope,
        payload=base64.urlsafe_b64encode(
            json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("="),
    )
    with pytest.raises(InvalidLicenseFile):
        verify(json.dumps(forged).encode(), keys)
    signature = bytearray(base64.urlsafe_b64decode(envelope["signature"] + "=="))
    signature[0] ^= 1
    flipped = dict(envelope, signature=base64.urlsafe_b64encode(bytes(signature)).decode())
    with pytest.raises(InvalidLicenseFile):
        verify(json.dumps(flipped).encode(), keys)
    with pytest.raises(InvalidLicenseFile):
        verify(b"not a license", keys)


def test_rotation_keeps_old_files_verifying_during_the_overlap(seeded, monkeypatch):
    from portal import dependencies
    from portal.aws import clients as aws_clients

    token = sign_in(DEMO)
    lic = listed("licenses", token)[0]
    before = content_of(download("licenses", token, lic["id"]))
    old = dependencies.settings().signing_key_ids[0]
    new = aws_clients.kms().create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")
    new_id = new["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("LICENSE_SIGNING_KEY_IDS", f"{new_id},{old}")
    dependencies.reset()
    after = content_of(download("licenses", token, lic["id"]))
    keys = published()
    assert list(keys) == [new_id, old]
    assert verify(before, keys)["kid"] == old
    assert verify(after, keys)["kid"] == new_id
    with pytest.raises(InvalidLicenseFile):
        verify(before, {new_id: keys[new_id]})  # once the old key is no longer published


def test_expired_files_are_refused_by_the_verifier(seeded):
    token = sign_in(DEMO)
    sup = listed("supports", token)[-1]
    content = content_of(download("supports", token, sup["id"]))  # P62 support ended 2017
    assert verify(content, published())["support"]["expiresOn"] == "2017-09-30"
    with pytest.raises(InvalidLicenseFile):
        verify(content, published(), now=datetime(2026, 11, 27, tzinfo=UTC))


def test_another_customers_file_is_404_like_a_missing_one(seeded):
    demo = sign_in(DEMO)
    lic = listed("licenses", demo)[0]
    other = sign_in(SECOND)
    theirs = download("licenses", other, lic["id"])
    missing = download("licenses", other, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    junk = download("licenses", other, "..%2F..%2FPROFILE")
    assert theirs["statusCode"] == missing["statusCode"] == junk["statusCode"] == 404
    assert theirs["body"] == missing["body"]
    assert download("licenses", None, lic["id"])["statusCode"] == 401


def test_a_download_is_one_session_read_and_one_data_read(seeded, calls):
    token = sign_in(DEMO)
    lic = listed("licenses", token)[0]
    calls.clear()
    assert download("licenses", token, lic["id"])["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "GetItem"]
