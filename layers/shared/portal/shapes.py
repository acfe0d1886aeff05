"""Reading untrusted JSON (FastSpring events, the catalog file) into typed values, with the path
of the first problem in the error. Deliberately small and explicit: it keeps a validation
library off the cold-start path of the functions that read such input."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any


class ShapeError(ValueError):
    """The data does not have the expected shape; the message names where."""


class Reader:
    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise ShapeError(f"{path or 'value'}: an object is expected")
        self.data = data
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise ShapeError(f"{self._where(key)}: field required")
        return value

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int = 500,
        min_len: int = 0,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not min_len <= len(value) <= max_len:
            raise ShapeError(f"{self._where(key)}: a string of {min_len}-{max_len} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise ShapeError(f"{self._where(key)}: unexpected characters")
        return value

    def required_text(self, key: str, **kw: Any) -> str:
        value = self.text(key, required=True, **kw)
        assert value is not None
        return value

    def integer(
        self, key: str, *, required: bool = False, low: int | None = None, high: int | None = None
    ) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeError(f"{self._where(key)}: an integer is expected")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ShapeError(f"{self._where(key)}: out of range")
        return value

    def decimal(
        self, key: str, *, required: bool = False, low: Decimal | None = None
    ) -> Decimal | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise ShapeError(f"{self._where(key)}: a number is expected")
        try:
            number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            raise ShapeError(f"{self._where(key)}: a number is expected") from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ShapeError(f"{self._where(key)}: out of range")
        if low is not None and number < low:
            raise ShapeError(f"{self._where(key)}: out of range")
        return number

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ShapeError(f"{self._where(key)}: true or false is expected")
        return value

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ShapeError(f"{self._where(key)}: an object is expected")
        return value

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        value = self._get(key, required)
        return None if value is None else Reader(value, self._where(key))

    def children(self, key: str, *, min_items: int = 0, max_items: int = 50) -> list[Reader]:
        value = self.data.get(key)
        if value is None:
            value = []
        if not isinstance(value, list) or not min_items <= len(value) <= max_items:
            raise ShapeError(f"{self._where(key)}: a list of {min_items}-{max_items} items")
        return [Reader(item, f"{self._where(key)}[{i}]") for i, item in enumerate(value)]
