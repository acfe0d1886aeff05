"""JSON that arrives from outside (browser bodies, FastSpring webhooks and API answers), parsed in
one place: not UTF-8, not JSON, or nested deeper than the parser goes (a body of 10,000 `[`) is a
ValueError, never a RecursionError that would escape as a 500. `decimals=True` reads every
non-integer number as Decimal (money is never a float)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def parse(raw: bytes | str, *, decimals: bool = False) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal) if decimals else json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
