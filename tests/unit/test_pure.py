"""Pure domain pieces: normalisation, ids and activation keys, cursors, the rate-limit window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal import ids, types
from portal.accounts import rate_limit
from portal.data.cursors import decode_cursor, encode_cursor
from portal.errors import InvalidCursor
from portal.types import supported_language

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw,expected",
    [(" jwt160930-9510-42210 ", "JWT160930-9510-42210"), ("JWT 19", "JWT19"), ("11408", "11408")],
)
def test_order_references_are_normalised(raw, expected):
    assert types.order_reference(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "JWT/1", "JWT1;", "<script>", "J" * 65])
def test_bad_order_references_are_rejected(raw):
    with pytest.raises(ValueError):
        types.order_reference(raw)


def test_emails_are_trimmed_and_case_folded():
    assert types.email("  Ana.Mueller@Example.DE ") == "ana.mueller@example.de"
    for bad in ["no-at", "a@b", "a b@example.com", "x" * 255 + "@example.com"]:
        with pytest.raises(ValueError):
            types.email(bad)


def test_languages():
    assert supported_language("fr-CA") == "fr"
    assert supported_language("DE") == "de"
    assert supported_language("es") == "en"
    assert supported_language(None) == "en"


def test_ulids_sort_by_time():
    earlier, later = ids.new_ulid(NOW), ids.new_ulid(NOW + timedelta(milliseconds=1))
    assert ids.is_ulid(earlier) and earlier < later


def test_activation_keys_have_100_random_bits_in_groups_of_four():
    keys = {ids.new_activation_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert ids.ACTIVATION_KEY_SHAPE.fullmatch(key)
    key = next(iter(keys))
    assert ids.normalize_activation_key(key.lower().replace("-", " ")) == key


def test_cursor_round_trip_and_rejections():
    fields = {"after": ids.ULID_SHAPE}
    cursor = encode_cursor({"after": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert decode_cursor(cursor, fields) == {"after": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    for bad in ["", "***", cursor[:-2], encode_cursor({"after": "x"}), encode_cursor({})]:
        with pytest.raises(InvalidCursor):
            decode_cursor(bad, fields)


def limit(n: int = 3) -> rate_limit.Limit:
    return rate_limit.Limit("EMAIL", "demo@example.com", n)


def test_an_empty_window_has_a_free_slot():
    reservation, wait = rate_limit.evaluate(limit(), None, NOW, 900)
    assert reservation is not None and reservation.slot == "s0" and wait == 0


def test_a_full_window_waits_until_the_oldest_attempt_leaves_it():
    item = {
        f"s{i}": rate_limit.stamp(NOW - timedelta(seconds=s)) for i, s in enumerate((600, 30, 5))
    }
    reservation, wait = rate_limit.evaluate(limit(), item, NOW, 900)
    assert reservation is None and wait == 300


def test_an_expired_slot_is_reused_oldest_first():
    item = {
        "s0": rate_limit.stamp(NOW - timedelta(seconds=1000)),
        "s1": rate_limit.stamp(NOW - timedelta(seconds=2000)),
        "s2": rate_limit.stamp(NOW - timedelta(seconds=5)),
    }
    reservation, _ = rate_limit.evaluate(limit(), item, NOW, 900)
    assert reservation is not None and reservation.slot == "s1"
    assert reservation.previous == item["s1"]
