"""Signed license and support files (SECURITY.md 20, 27) and the published keys."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from portal.config import Settings
from product_sdk.verify_license import InvalidLicenseFile, check_signed, verify
from tests.factories import LicenseSpec, SupportSpec
from tests.support import (
    FIXED_NOW,
    content_of,
    download,
    listed,
    published,
    setup_client,
    sign_in,
)

# Only a license bound to a computer has a file (API.md): these are bound. Files are checked for
# their signature and expiry (check_signed); where the computer matters, verify checks it too
# (the verifier's own tests are in test_license_verifier.py).
BOUND_10 = LicenseSpec("TSplus", "Enterprise", 10, computer="SRV-TEST-01")
BOUND_RW = LicenseSpec("Remote Work", None, 5, computer="SRV-TEST-RWORK")
# A downloaded file's validity: DOWNLOAD_FILE_DAYS, by default.
LICENSE_FILE_VALIDITY = timedelta(days=Settings.__dataclass_fields__["download_file_days"].default)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users


@pytest.mark.parametrize("kind", ["licenses", "supports"])
def test_every_file_downloads_signed_and_verifies_with_the_published_key(make_customer, kind):
    # given a customer with two licenses and three supports, and the published keys
    customer = make_customer(
        licenses=[BOUND_10, BOUND_RW],
        supports=[(*ENTERPRISE_10, 1), (*ENTERPRISE_10, 2), ("Remote Work", None, 5, 3)],
    )
    made = customer.license_ids if kind == "licenses" else customer.support_ids
    token = sign_in(customer)
    items = listed(kind, token)
    assert sorted(item["id"] for item in items) == sorted(made)
    keys = published()
    for item in items:
        # when each file is downloaded
        response = download(kind, token, item["id"])

        # then it is an attachment with a safe name that verifies with a published key
        assert response["statusCode"] == 200
        disposition = response["headers"]["Content-Disposition"]
        assert disposition.startswith('attachment; filename="') and disposition.endswith('.lic"')
        name = disposition.split('"')[1]
        assert all(c.isalnum() or c in "-." for c in name)
        payload = check_signed(content_of(response), keys)
        record = payload["license" if kind == "licenses" else "support"]
        assert record["id"] == item["id"] and record["serialNumber"] == item["serialNumber"]
        assert {"kid", "alg", "issuedAt", "expiresAt"} <= set(payload)
        assert payload["alg"] == "PS256"


def test_a_tampered_file_never_verifies(make_customer):
    # given a genuine license file
    token = sign_in(make_customer(licenses=[BOUND_10]))
    lic = listed("licenses", token)[0]
    original = content_of(download("licenses", token, lic["id"]))
    keys = published()
    envelope = json.loads(original)
    payload = json.loads(base64.urlsafe_b64decode(envelope["payload"] + "=="))
    assert check_signed(original, keys)["license"]["users"] == 10

    # when its payload says 999 users, then it no longer verifies
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
        check_signed(json.dumps(forged).encode(), keys)

    # when one bit of its signature flips, or it is not a file at all, then neither
    signature = bytearray(base64.urlsafe_b64decode(envelope["signature"] + "=="))
    signature[0] ^= 1
    flipped = dict(envelope, signature=base64.urlsafe_b64encode(bytes(signature)).decode())
    with pytest.raises(InvalidLicenseFile):
        check_signed(json.dumps(flipped).encode(), keys)
    with pytest.raises(InvalidLicenseFile):
        check_signed(b"not a license", keys)


def test_rotation_keeps_old_files_verifying_during_the_overlap(make_customer, monkeypatch):
    from portal import dependencies

    # given a file signed by today's key
    token = sign_in(make_customer(licenses=[BOUND_10]))
    lic = listed("licenses", token)[0]
    before = content_of(download("licenses", token, lic["id"]))
    old = dependencies.settings().signing_key_ids[0]

    # when a new key is put first (the old one still listed)
    new = setup_client("kms").create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")
    new_id = new["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("LICENSE_SIGNING_KEY_IDS", f"{new_id},{old}")
    dependencies.reset()
    after = content_of(download("licenses", token, lic["id"]))

    # then both keys are published, new files use the new key and old files still verify
    keys = published()
    assert list(keys) == [new_id, old]
    assert check_signed(before, keys)["kid"] == old
    assert check_signed(after, keys)["kid"] == new_id
    with pytest.raises(InvalidLicenseFile):
        check_signed(before, {new_id: keys[new_id]})  # once the old key is no longer published


def test_expired_files_are_refused_by_the_verifier(make_customer, clock):
    # given a support that ended on 2017-09-30 and a license bought today (FIXED_NOW)
    ended = make_customer(supports=[SupportSpec(years=1)], placed_at="2016-09-30")
    support_file = content_of(download("supports", sign_in(ended), ended.support_ids[0]))
    customer = make_customer(licenses=[BOUND_10])
    license_file = content_of(download("licenses", sign_in(customer), customer.license_ids[0]))
    keys = published()

    # when verified before the support ended, then both carry what was sold
    ended_on = datetime(2017, 9, 29, tzinfo=UTC)
    assert verify(support_file, keys, computer_id=None, now=ended_on)["support"]["expiresOn"] == (
        "2017-09-30"
    )
    assert check_signed(license_file, keys, now=FIXED_NOW)["issuedAt"] == FIXED_NOW.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    # when verified today (explicitly, or by the system clock), then the ended support's file is
    # refused, the license's is not
    with pytest.raises(InvalidLicenseFile):
        verify(support_file, keys, computer_id=None, now=FIXED_NOW)
    with pytest.raises(InvalidLicenseFile):
        verify(support_file, keys, computer_id=None)
    assert (
        check_signed(license_file, keys, now=FIXED_NOW)["license"]["id"] == customer.license_ids[0]
    )

    # when verified after the license file's validity, then it is refused too
    later = FIXED_NOW + LICENSE_FILE_VALIDITY + timedelta(seconds=1)
    with pytest.raises(InvalidLicenseFile):
        check_signed(license_file, keys, now=later)
    assert check_signed(license_file, keys, now=later - timedelta(seconds=2))


def test_another_customers_file_is_404_like_a_missing_one(make_customer):
    # given two customers, each with a license
    owner = make_customer(licenses=[BOUND_10])
    other = sign_in(make_customer(licenses=[BOUND_10]))
    license_id = owner.license_ids[0]

    # when the other asks for the owner's file, a missing one and a malformed id
    theirs = download("licenses", other, license_id)
    missing = download("licenses", other, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    junk = download("licenses", other, "..%2F..%2FPROFILE")

    # then all three are the same 404, while the owner gets the file and no session gets 401
    assert theirs["statusCode"] == missing["statusCode"] == junk["statusCode"] == 404
    assert theirs["body"] == missing["body"]
    assert download("licenses", sign_in(owner), license_id)["statusCode"] == 200
    assert download("licenses", None, license_id)["statusCode"] == 401


def test_a_download_is_one_session_read_and_one_data_read(make_customer, calls):
    # given a signed-in customer with a license
    customer = make_customer(licenses=[BOUND_10])
    token = sign_in(customer)

    # when they download its file
    calls.clear()
    response = download("licenses", token, customer.license_ids[0])

    # then it costs one session update and one read
    assert response["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "GetItem"]


def test_issued_at_comes_from_the_injected_clock(make_customer, clock):
    # given the clock at FIXED_NOW
    customer = make_customer(licenses=[BOUND_10])
    token = sign_in(customer)

    # when a file is downloaded 20 minutes later (within the session's idle timeout)
    clock.advance(minutes=20)
    payload = check_signed(
        content_of(download("licenses", token, customer.license_ids[0])),
        published(),
        now=FIXED_NOW + timedelta(minutes=20),
    )

    # then it was issued then and expires one validity later
    issued = FIXED_NOW + timedelta(minutes=20)
    assert payload["issuedAt"] == issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    expires = datetime.strptime(payload["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires - issued == LICENSE_FILE_VALIDITY
