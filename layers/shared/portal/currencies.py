"""Currencies: how many digits an amount has after the decimal point (ISO 4217 minor units), and
rounding to them - half-up, the one rounding the portal uses (docs/pricing.md)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units of the currencies that do not have two; every other currency has 2.
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
MINOR_UNITS: dict[str, int] = {
    code: digits
    for codes, digits in ((_ZERO_DECIMAL, 0), (_THREE_DECIMALS, 3), (_FOUR_DECIMALS, 4))
    for code in codes.split()
}
DEFAULT_MINOR_UNITS = 2


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def round_minor(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit (USD: 100.765 -> 100.77)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)
