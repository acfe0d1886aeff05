"""Pure domain pieces: normalisation, ids and activation keys, cursors, the rate-limit window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from portal import base64url, ids, types
from portal.accounts import rate_limit
from portal.data.cursors import Cursors
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


# ---------------------------------------------------------------- cursors
AFTER = {"after": ids.ULID_SHAPE}
AN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ALICE, BOB = "01HZZZALICE0000000000000AA", "01HZZZB0B00000000000000000"


def sealer(*keys: str) -> Cursors:
    return Cursors(lambda: list(keys))


def test_a_cursor_opens_to_its_position_for_its_own_scope_only():
    # given a cursor sealed for Alice's licenses
    cursors = sealer("key-one")
    cursor = cursors.seal(("licenses", ALICE), {"after": AN_ID})

    # when opened for that scope, then its position; for Bob, or for Alice's supports, refused
    assert cursors.open(("licenses", ALICE), cursor, AFTER) == {"after": AN_ID}
    for scope in [("licenses", BOB), ("supports", ALICE), ("licenses", ALICE, AN_ID)]:
        with pytest.raises(InvalidCursor):
            cursors.open(scope, cursor, AFTER)


def test_a_cursor_shows_nothing_of_its_position_and_is_new_each_time():
    # given an orders position holding an order number and a time
    position = {"at": "2025-06-01T10:00:00Z", "ref": "JWT160930-9510-42210"}
    cursors = sealer("key-one")

    # when sealed twice, then neither the text nor its decoded bytes show any part of it, and
    # the two cursors differ (a random nonce)
    first, second = (cursors.seal(("orders", ALICE), position) for _ in range(2))
    assert first != second
    for cursor in (first, second):
        raw = base64url.decode(cursor)
        for part in ("JWT160930", "9510", "42210", "2025-06-01", '"ref":', '"at":'):
            assert part not in cursor
            assert part.encode() not in raw


def test_a_changed_cut_forged_or_foreign_cursor_is_refused():
    # given a sealed cursor
    cursors = sealer("key-one")
    scope = ("licenses", ALICE)
    cursor = cursors.seal(scope, {"after": AN_ID})
    raw = base64url.decode(cursor)

    # when any single bit of it is flipped, it is cut, extended, or made by someone without the
    # key (the old plain form, another key), then it is refused
    flipped = [
        base64url.encode(raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1 :])
        for i in range(len(raw))
        for bit in range(8)
    ]
    plain_form = base64url.encode(json.dumps({"after": AN_ID}).encode())
    foreign = sealer("another-key").seal(scope, {"after": AN_ID})
    for bad in [*flipped, cursor[:-1], cursor[:-4], cursor + "A", "", "***", plain_form, foreign]:
        with pytest.raises(InvalidCursor):
            cursors.open(scope, bad, AFTER)
    assert len(flipped) == 8 * len(raw)


def test_a_well_sealed_position_of_the_wrong_shape_is_refused():
    # given cursors sealed with the right key and scope around positions no list makes
    cursors = sealer("key-one")
    scope = ("licenses", ALICE)
    for position in [{"after": "../PROFILE"}, {}, {"after": AN_ID, "pk": "CUST#x"}]:
        # when opened, then refused: exactly the expected fields, each of its shape
        with pytest.raises(InvalidCursor):
            cursors.open(scope, cursors.seal(scope, position), AFTER)


def test_cursors_survive_a_key_rotation_until_the_old_key_is_removed():
    # given a cursor sealed before a rotation
    scope = ("supports", ALICE)
    old = sealer("key-one").seal(scope, {"after": AN_ID})

    # when the new key is current and the old one previous, then it still opens, and new
    # cursors are sealed with the new key; once the old key is gone, it is refused
    rotating = sealer("key-two", "key-one")
    assert rotating.open(scope, old, AFTER) == {"after": AN_ID}
    assert sealer("key-two").open(scope, rotating.seal(scope, {"after": AN_ID}), AFTER)
    with pytest.raises(InvalidCursor):
        sealer("key-two").open(scope, old, AFTER)


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
