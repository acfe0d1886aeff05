"""The text forms written once at the bottom of the package: base64url and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from portal import base64url
from portal.clock import from_utc_text, utc_text


@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", bytes(range(256))])
def test_base64url_round_trips_without_padding(data):
    # given any bytes / when encoded
    text = base64url.encode(data)
    # then no padding, only the URL-safe alphabet, and decoding gives the bytes back
    assert "=" not in text and "+" not in text and "/" not in text
    assert base64url.decode(text) == data


def test_base64url_accepts_the_padded_form_and_refuses_other_alphabets():
    assert base64url.decode("Zm8=") == b"fo"
    for bad in ("Zm8+", "Zm/8", "Zm 8", "Z", "Zm8==="):
        with pytest.raises(ValueError):
            base64url.decode(bad)


def test_utc_text_is_second_precision_with_z_from_any_offset():
    # given an aware time in another zone
    at = datetime(2026, 3, 1, 1, 30, 15, 999_000, tzinfo=timezone(timedelta(hours=2)))
    # then it is written in UTC with Z, and read back as the same instant (to the second)
    assert utc_text(at) == "2026-02-28T23:30:15Z"
    assert from_utc_text("2026-02-28T23:30:15Z") == datetime(2026, 2, 28, 23, 30, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        from_utc_text("2026-02-28T23:30:15")
