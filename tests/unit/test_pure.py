"""Pure domain pieces: normalisation, ids and activation keys, cursors, the rate-limit window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import ids, types
from portal.accounts import rate_limit
from portal.data.cursors import decode_cursor, encode_cursor
from portal.errors import InvalidCursor
from portal.types import supported_language
from tests.support import DEMO_ORDER, FIXED_NOW, SECOND_EMAIL


@pytest.mark.parametrize(
    "raw,expected",
    [(f" {DEMO_ORDER.lower()} ", DEMO_ORDER), ("JWT 19", "JWT19"), ("11408", "11408")],
)
def test_order_references_are_normalised(raw, expected):
    # given an order number as a customer types it (the guide's, in lower case, with spaces),
    # when normalised, then trimmed, upper case, inner spaces removed
    assert types.order_reference(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "JWT/1", "JWT1;", "<script>", "J" * 65])
def test_bad_order_references_are_rejected(raw):
    # given an empty or unsafe reference, when normalised, then refused
    with pytest.raises(ValueError):
        types.order_reference(raw)


def test_emails_are_trimmed_and_their_ascii_letters_lower_cased():
    # given an email typed with spaces and capitals, when normalised, then trimmed and lower-cased
    # (the guide's second customer's, "  Ana.Mueller@Example.De ")
    assert types.email(f"  {SECOND_EMAIL.title()} ") == SECOND_EMAIL
    # and malformed or overlong ones are refused
    for bad in ["no-at", "a@b", "a b@example.com", "x" * 255 + "@example.com"]:
        with pytest.raises(ValueError):
            types.email(bad)


@pytest.mark.parametrize(
    "typed,normalised",
    [
        ("\u017fam@example.com", "\u017fam@example.com"),  # long s: casefold() makes it "s"
        ("\u212aim@example.com", "\u212aim@example.com"),  # Kelvin sign: lower() makes it "k"
        ("\u00c9lodie@Example.COM", "\u00c9lodie@example.com"),  # É stays, ASCII lower-cased
        ("STRASSE@example.com", "strasse@example.com"),
        ("stra\u00dfe@example.com", "stra\u00dfe@example.com"),  # ß: casefold() makes it "ss"
        ("\u0130nci@example.com", "\u0130nci@example.com"),  # İ: lower() makes it "i̇"
    ],
)
def test_only_ascii_letters_change_case_so_no_two_mailboxes_merge(typed, normalised):
    # given an address with letters Unicode case mapping would change or merge; when normalised,
    # then only its ASCII letters are lower-cased
    assert types.normalize_email(typed) == types.email(f" {typed}\t") == normalised


def test_only_ascii_white_space_is_trimmed():
    # given an address ending in a no-break space (not ASCII white space); when checked, then it
    # is not trimmed into another address but refused
    assert types.normalize_email("sam@example.com\u00a0") == "sam@example.com\u00a0"
    with pytest.raises(ValueError):
        types.email("sam@example.com\u00a0")


def test_languages():
    # supported languages, a region dropped; anything else is English
    assert supported_language("fr-CA") == "fr"
    assert supported_language("DE") == "de"
    assert supported_language("es") == "en"
    assert supported_language(None) == "en"


def test_ulids_sort_by_time():
    # given two ids a millisecond apart, then the later sorts after
    earlier, later = ids.new_ulid(FIXED_NOW), ids.new_ulid(FIXED_NOW + timedelta(milliseconds=1))
    assert ids.is_ulid(earlier) and earlier < later


def test_activation_keys_have_100_random_bits_in_groups_of_four():
    # given 200 new activation keys
    keys = {ids.new_activation_key() for _ in range(200)}
    # then all differ and have the shape
    assert len(keys) == 200
    for key in keys:
        assert ids.ACTIVATION_KEY_SHAPE.fullmatch(key)
    # and one typed in lower case with spaces normalises back to itself
    key = next(iter(keys))
    assert ids.normalize_activation_key(key.lower().replace("-", " ")) == key


def test_cursor_round_trip_and_rejections():
    # given a cursor encoded from an id
    fields = {"after": ids.ULID_SHAPE}
    cursor = encode_cursor({"after": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    # when decoded, then that id; and empty, garbled, cut or ill-shaped cursors are refused
    assert decode_cursor(cursor, fields) == {"after": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    for bad in ["", "***", cursor[:-2], encode_cursor({"after": "x"}), encode_cursor({})]:
        with pytest.raises(InvalidCursor):
            decode_cursor(bad, fields)


def limit(n: int = 3) -> rate_limit.Limit:
    return rate_limit.Limit("EMAIL", "someone@example.com", n)


def test_an_empty_window_has_a_free_slot():
    # given no attempt recorded, when evaluated, then the first slot is free and nothing waits
    reservation, wait = rate_limit.evaluate(limit(), None, FIXED_NOW, 900)
    assert reservation is not None and reservation.slot == "s0" and wait == 0


def test_a_full_window_waits_until_the_oldest_attempt_leaves_it():
    # given three attempts 600, 30 and 5 seconds ago in a window of three per 900 s
    item = {
        f"s{i}": rate_limit.stamp(FIXED_NOW - timedelta(seconds=s))
        for i, s in enumerate((600, 30, 5))
    }
    # when evaluated
    reservation, wait = rate_limit.evaluate(limit(), item, FIXED_NOW, 900)
    # then no slot, and a wait until the oldest leaves the window
    assert reservation is None and wait == 300


def test_an_expired_slot_is_reused_oldest_first():
    # given a full window of three whose two oldest attempts have left it
    item = {
        "s0": rate_limit.stamp(FIXED_NOW - timedelta(seconds=1000)),
        "s1": rate_limit.stamp(FIXED_NOW - timedelta(seconds=2000)),
        "s2": rate_limit.stamp(FIXED_NOW - timedelta(seconds=5)),
    }
    # when evaluated
    reservation, _ = rate_limit.evaluate(limit(), item, FIXED_NOW, 900)
    # then the oldest slot is reused, conditioned on what it holds
    assert reservation is not None and reservation.slot == "s1"
    assert reservation.previous == item["s1"]
