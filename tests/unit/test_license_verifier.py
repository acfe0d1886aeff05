"""The reference verifier (product_sdk/verify_license.py, SECURITY.md 20): files signed through
the portal's real signing path (KMS in moto) verify with the published key file on the computer
they are bound to, and nothing else ever does: no changed byte, no other key, no other computer,
no expired file, no weak key."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from portal.licensing import license_files
from product_sdk import verify_license
from product_sdk.verify_license import InvalidLicenseFile, check_signed, load_keys, verify
from tests.support import FIXED_NOW, body_of, event, invoke, setup_client

COMPUTER = "SRV-TEST-01"
ISSUED = FIXED_NOW
EXPIRES = FIXED_NOW + timedelta(days=30)
DURING = FIXED_NOW + timedelta(days=1)


def license_document(computer_id: str | None = COMPUTER) -> dict[str, Any]:
    """A document shaped like the activation's payload (docs/license-files.md)."""
    return {
        "kind": "license",
        "license": {
            "id": "01JDQ5Z0000000000000000000",
            "software": "TSplus",
            "serialNumber": "P30",
            "computerId": computer_id,
            "computerName": "Test server 01",
            "edition": "Enterprise",
            "users": 10,
            "days": None,
            "orderNumber": "JWT261127-1234-56789",
            "purchasedOn": "2026-11-27",
            "supportUntil": "2027-11-27",
        },
    }


def support_document() -> dict[str, Any]:
    return {
        "kind": "support",
        "support": {"id": "01JDQ5Z0000000000000000001", "serialNumber": "P30"},
    }


def signed(
    settings: Any,
    document: dict[str, Any] | None = None,
    *,
    issued_at: datetime = ISSUED,
    expires_at: datetime = EXPIRES,
) -> bytes:
    return license_files.sign(
        license_document() if document is None else document,
        issued_at=issued_at,
        expires_at=expires_at,
        settings=settings,
    )


def key_file(tmp_path: Path, name: str = "activation-keys.json") -> Path:
    """The product's shipped key file: the answer of GET /api/activation/keys, as published."""
    answer = invoke("activation_keys", event("activation_keys", origin=None))
    assert answer["statusCode"] == 200, answer
    path = tmp_path / name
    path.write_text(json.dumps(body_of(answer)), encoding="utf-8")
    return path


def with_signing_keys(settings: Any, *key_ids: str) -> Any:
    return dataclasses.replace(settings, license_signing_key_ids=",".join(key_ids))


def new_kms_key(spec: str = "RSA_3072") -> str:

    made = setup_client("kms").create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")
    return str(made["KeyMetadata"]["KeyId"])


def parts(file_bytes: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    envelope = json.loads(file_bytes)
    return envelope, unb64(envelope["payload"]), unb64(envelope["signature"])


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rebuilt(envelope: dict[str, Any], *, payload: bytes, signature: bytes) -> bytes:
    return json.dumps(dict(envelope, payload=b64(payload), signature=b64(signature))).encode()


def refused(file_bytes: bytes, keys: dict[str, str], **kwargs: Any) -> str:
    kwargs.setdefault("computer_id", COMPUTER)
    kwargs.setdefault("now", DURING)
    with pytest.raises(InvalidLicenseFile) as caught:
        verify(file_bytes, keys, **kwargs)
    return str(caught.value)


# ---------------------------------------------------------------- genuine files
def test_a_signed_license_file_verifies_with_the_shipped_key_file(aws, settings, tmp_path):
    # given a license file bound to SRV-TEST-01 and the published keys written to a key file
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))

    # when the product on SRV-TEST-01 verifies it during its validity
    payload = verify(file_bytes, keys, computer_id=COMPUTER, now=DURING)

    # then it reads the license it was sold, with key id, algorithm, issue and refresh-by times
    assert payload["kind"] == "license"
    assert payload["license"] == license_document()["license"]
    assert payload["kid"] == license_files.kid_of(settings.signing_key_ids[0])
    assert list(keys) == [payload["kid"]]
    assert payload["alg"] == "PS256"
    assert payload["issuedAt"] == "2026-11-27T09:00:00Z"
    assert payload["expiresAt"] == "2026-12-27T09:00:00Z"


def test_a_support_file_names_no_computer_and_verifies_on_any(aws, settings, tmp_path):
    # given a support file
    file_bytes = signed(settings, support_document())
    keys = load_keys(key_file(tmp_path))

    # when verified with a computer id or none, then it verifies
    assert verify(file_bytes, keys, computer_id=COMPUTER, now=DURING)["support"]["id"]
    assert verify(file_bytes, keys, computer_id=None, now=DURING)["kind"] == "support"


def test_the_system_clock_is_the_default_time(aws, settings, tmp_path):
    # given a file that expired long ago and one valid from today
    keys = load_keys(key_file(tmp_path))
    old = signed(
        settings,
        issued_at=datetime(2020, 1, 1, tzinfo=UTC),
        expires_at=datetime(2020, 1, 31, tzinfo=UTC),
    )
    today = datetime.now(UTC).replace(microsecond=0)
    fresh = signed(settings, issued_at=today, expires_at=today + timedelta(days=30))

    # when verified without a time, then the expired one is refused and the fresh one verifies
    with pytest.raises(InvalidLicenseFile, match="expired"):
        verify(old, keys, computer_id=COMPUTER)
    assert verify(fresh, keys, computer_id=COMPUTER)["license"]["computerId"] == COMPUTER


# ---------------------------------------------------------------- what is refused
def test_an_expired_file_never_verifies(aws, settings, tmp_path):
    # given a file valid until 2026-12-27T09:00:00Z
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))

    # when verified one second before, at, and after its refresh-by time
    before = verify(file_bytes, keys, computer_id=COMPUTER, now=EXPIRES - timedelta(seconds=1))

    # then it verifies only before
    assert before["expiresAt"] == "2026-12-27T09:00:00Z"
    assert "expired" in refused(file_bytes, keys, now=EXPIRES)
    assert "expired" in refused(file_bytes, keys, now=EXPIRES + timedelta(days=400))


def test_another_computer_or_none_is_refused(aws, settings, tmp_path):
    # given a file bound to SRV-TEST-01 and one bound to no computer
    keys = load_keys(key_file(tmp_path))
    bound = signed(settings)
    unbound = signed(settings, license_document(computer_id=None))

    # when verified on another computer, by case or prefix, or without a computer id
    # then each is refused with the reason
    assert "another computer" in refused(bound, keys, computer_id="SRV-TEST-02")
    assert "another computer" in refused(bound, keys, computer_id="srv-test-01")
    assert "another computer" in refused(bound, keys, computer_id="SRV-TEST-0")
    assert "this computer's id" in refused(bound, keys, computer_id=None)
    assert "bound to no computer" in refused(unbound, keys)
    assert verify(bound, keys, computer_id=COMPUTER, now=DURING)


def test_every_changed_byte_of_the_payload_is_refused(aws, settings, tmp_path):
    # given a genuine file
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))
    envelope, payload, signature = parts(file_bytes)
    assert verify(file_bytes, keys, computer_id=COMPUTER, now=DURING)

    # when each byte of the decoded payload is changed in turn (every bit at once, and one bit)
    # then no such file verifies
    for index in range(len(payload)):
        for mask in (0xFF, 0x01):
            changed = bytearray(payload)
            changed[index] ^= mask
            forged = rebuilt(envelope, payload=bytes(changed), signature=signature)
            with pytest.raises(InvalidLicenseFile):
                check_signed(forged, keys, now=DURING)


def test_every_changed_byte_of_the_signature_is_refused(aws, settings, tmp_path):
    # given a genuine file
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))
    envelope, payload, signature = parts(file_bytes)
    assert len(signature) == 384  # RSA-3072

    # when each byte of the signature is changed in turn, then no such file verifies
    for index in range(len(signature)):
        changed = bytearray(signature)
        changed[index] ^= 0x01
        with pytest.raises(InvalidLicenseFile, match="signature does not verify"):
            check_signed(rebuilt(envelope, payload=payload, signature=bytes(changed)), keys)


def test_every_flipped_bit_of_the_file_as_shipped_is_refused(aws, settings, tmp_path):
    # given a genuine file, byte for byte as the portal wrote it
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))

    # when any one bit of any byte of the file is flipped (envelope, base64 text, newline)
    # then no such file verifies
    verified = []
    for index in range(len(file_bytes)):
        for bit in range(8):
            changed = bytearray(file_bytes)
            changed[index] ^= 1 << bit
            try:
                verify(bytes(changed), keys, computer_id=COMPUTER, now=DURING)
            except InvalidLicenseFile:
                continue
            verified.append((index, bit))
    assert verified == []
    assert verify(file_bytes, keys, computer_id=COMPUTER, now=DURING)


def test_a_truncated_or_extended_signature_is_refused(aws, settings, tmp_path):
    # given a genuine file
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))
    envelope, payload, signature = parts(file_bytes)

    # when its signature is cut short, emptied or padded, then it is refused
    for cut in (signature[:-1], signature[:-48], signature[:1], b"", signature + b"\x00"):
        assert refused(rebuilt(envelope, payload=payload, signature=cut), keys)
    # and its text form with padding or a stray character is refused too
    for text in (
        envelope["signature"] + "=",
        envelope["signature"] + "A",
        " " + envelope["payload"],
    ):
        field = "payload" if text.startswith(" ") else "signature"
        assert "malformed" in refused(json.dumps(dict(envelope, **{field: text})).encode(), keys)


def test_a_swapped_key_id_is_refused(aws, settings, tmp_path):
    # given two published keys and a file signed by the first
    second = new_kms_key()
    two = with_signing_keys(settings, settings.signing_key_ids[0], second)
    file_bytes = signed(two)
    keys = {k.kid: k.public_key_pem for k in license_files.public_keys(two)}
    envelope, payload, signature = parts(file_bytes)

    # when its payload names the other published key, or an unknown one, then it is refused
    document = json.loads(payload)
    for kid in (license_files.kid_of(second), "no-such-key", ""):
        swapped = json.dumps(dict(document, kid=kid), sort_keys=True, separators=(",", ":"))
        assert refused(rebuilt(envelope, payload=swapped.encode(), signature=signature), keys)


def test_a_file_signed_by_an_unknown_key_is_refused(aws, settings, tmp_path):
    # given the shipped key file, and a file signed by a KMS key it does not hold
    keys = load_keys(key_file(tmp_path))
    stranger = new_kms_key()
    file_bytes = signed(with_signing_keys(settings, stranger))

    # when verified, then its key is unknown
    assert "unknown signing key" in refused(file_bytes, keys)


def test_a_forger_claiming_a_published_key_id_is_refused(aws, settings, tmp_path):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    # given a genuine file and a forger's own strong key (4096 bits, not the portal's)
    keys = load_keys(key_file(tmp_path))
    envelope, payload, _ = parts(signed(settings))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=4096)

    # when the forger signs a payload of 999 users under the published key id
    document = json.loads(payload)
    document["license"]["users"] = 999
    forged_payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    forged_signature = forger.sign(forged_payload, pss, hashes.SHA256())

    # then it does not verify
    forged = rebuilt(envelope, payload=forged_payload, signature=forged_signature)
    assert "signature does not verify" in refused(forged, keys)


def test_a_key_under_3072_bits_is_refused_even_when_published(aws, settings, tmp_path):
    # given a file signed by a published RSA-2048 key
    weak = with_signing_keys(settings, new_kms_key("RSA_2048"))
    file_bytes = signed(weak)
    keys = {k.kid: k.public_key_pem for k in license_files.public_keys(weak)}

    # when verified, then the key is unacceptable
    assert "3072" in refused(file_bytes, keys)


def test_another_algorithm_or_format_is_refused(aws, settings, tmp_path):
    # given a genuine file
    file_bytes = signed(settings)
    keys = load_keys(key_file(tmp_path))
    envelope, payload, signature = parts(file_bytes)
    document = json.loads(payload)

    # when its payload names another algorithm, or its envelope another format or extra fields
    for alg in ("RS256", "none", "ps256", None):
        other = json.dumps(dict(document, alg=alg), sort_keys=True, separators=(",", ":"))
        message = refused(rebuilt(envelope, payload=other.encode(), signature=signature), keys)
        assert "algorithm" in message
    other_format = json.dumps(dict(envelope, format="customer-portal-license/2")).encode()
    extra = json.dumps(dict(envelope, kid="x")).encode()

    # then each is refused with a reason, and junk is refused as malformed
    assert "unknown format" in refused(other_format, keys)
    assert "unexpected fields" in refused(extra, keys)
    for junk in (b"", b"not a license", b"[]", b'{"format": 1}', b"[" * 100_000):
        assert refused(junk, keys)


# ---------------------------------------------------------------- key rotation
def test_rotation_both_keys_verify_during_the_overlap_and_a_removed_key_does_not(
    aws, settings, tmp_path, monkeypatch
):
    from portal import dependencies

    # given a file signed by today's key
    old = settings.signing_key_ids[0]
    before = signed(settings)

    # when a new key is put first, the old one still listed (the overlap), and a file is signed
    new = new_kms_key()
    monkeypatch.setenv("LICENSE_SIGNING_KEY_IDS", f"{new},{old}")
    dependencies.reset()
    after = signed(dependencies.settings())
    overlap = load_keys(key_file(tmp_path, "overlap.json"))

    # then both keys are published and files of either key verify
    assert list(overlap) == [license_files.kid_of(new), license_files.kid_of(old)]
    assert verify(before, overlap, computer_id=COMPUTER, now=DURING)["kid"] == old
    assert verify(after, overlap, computer_id=COMPUTER, now=DURING)["kid"] == new

    # when the old key is removed, then its files no longer verify, the new key's still do
    monkeypatch.setenv("LICENSE_SIGNING_KEY_IDS", new)
    dependencies.reset()
    rotated = load_keys(key_file(tmp_path, "rotated.json"))
    assert list(rotated) == [license_files.kid_of(new)]
    assert "unknown signing key" in refused(before, rotated)
    assert verify(after, rotated, computer_id=COMPUTER, now=DURING)


# ---------------------------------------------------------------- key file and CLI
def test_a_broken_key_file_is_a_clear_error(tmp_path):
    # given key files that are missing, not JSON, or hold no PS256 key
    (tmp_path / "junk.json").write_text("not json")
    (tmp_path / "empty.json").write_text('{"keys": []}')
    (tmp_path / "rs.json").write_text(
        '{"keys": [{"kid": "k", "algorithm": "RS256", "publicKey": "x"}]}'
    )

    # when loaded, then each is an InvalidLicenseFile naming the file
    for name in ("missing.json", "junk.json", "empty.json", "rs.json"):
        with pytest.raises(InvalidLicenseFile, match=name):
            load_keys(tmp_path / name)


def test_the_cli_prints_the_payload_or_the_reason(aws, settings, tmp_path, capsys):
    # given a license file valid from today and the shipped key file
    today = datetime.now(UTC).replace(microsecond=0)
    license_path = tmp_path / "license.lic"
    license_path.write_bytes(
        signed(settings, issued_at=today, expires_at=today + timedelta(days=30))
    )
    keys = str(key_file(tmp_path))

    # when verified on its computer, then it exits 0 and prints the payload
    assert verify_license.main([str(license_path), "--keys", keys, "--computer-id", COMPUTER]) == 0
    assert json.loads(capsys.readouterr().out)["license"]["computerId"] == COMPUTER

    # when verified on another computer, then it exits 1 with the reason
    assert verify_license.main([str(license_path), "--keys", keys, "--computer-id", "OTHER"]) == 1
    assert "REFUSED: the license file is bound to another computer" in capsys.readouterr().err
