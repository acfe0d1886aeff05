"""Dates, times, numbers and money as each language writes them in a mail (the web pages use the
browser's Intl for the same). Dates: "December 1, 2026" / "1. Dezember 2026" / "1 décembre 2026";
money: "$1,234.50" / "1.234,50 $" / "1 234,50 $", rounded half-up to the currency's minor unit
(portal.currencies), never through a float. Within a number and between it and its currency the
space does not break (U+202F in French groups, as CLDR has it; U+00A0 before a symbol)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from portal.currencies import round_minor

LANGUAGES = ("en", "de", "fr")

MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}
# (group separator, decimal mark)
_NUMBERS = {"en": (",", "."), "de": (".", ","), "fr": ("\u202f", ",")}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
NBSP = "\u00a0"


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"no formats for language {language!r}")
    return language


def long_date(day: date, language: str) -> str:
    month = MONTHS[_language(language)][day.month - 1]
    if language == "en":
        return f"{month} {day.day}, {day.year}"
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def date_time(at: datetime, language: str) -> str:
    """A moment in UTC, to the minute: "December 1, 2026, 14:05 UTC" / "1. Dezember 2026,
    14:05 UTC" / "1 décembre 2026 à 14:05 UTC"."""
    at = at.astimezone(UTC)
    day, clock = long_date(at.date(), language), f"{at.hour:02d}:{at.minute:02d} UTC"
    return f"{day} à {clock}" if language == "fr" else f"{day}, {clock}"


def _grouped(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def number(value: int | Decimal, language: str, *, places: int = 0) -> str:
    """A number with the language's grouping and decimal mark (`places` digits after it)."""
    group, mark = _NUMBERS[_language(language)]
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-places)) if places else Decimal(value)
    sign = "-" if quantized < 0 else ""
    whole, _, fraction = f"{abs(quantized):f}".partition(".")
    text = _grouped(whole, group)
    return f"{sign}{text}{mark}{fraction}" if fraction else f"{sign}{text}"


def money(amount: Decimal, currency: str, language: str) -> str:
    """An amount in its currency: "$1,234.50", "CHF 1,234.50" / "1.234,50 $" / "1 234,50 $"."""
    if not isinstance(amount, Decimal):
        raise TypeError("money amounts are Decimal")
    currency = currency.upper()
    rounded = round_minor(amount, currency)
    places = max(0, -int(rounded.as_tuple().exponent))
    text = number(abs(rounded), language, places=places)
    sign = "-" if rounded < 0 else ""
    symbol = SYMBOLS.get(currency)
    if language == "en":
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency}{NBSP}{text}"
    return f"{sign}{text}{NBSP}{symbol or currency}"
