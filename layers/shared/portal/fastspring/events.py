"""What FastSpring sends us, as pydantic models (../shared/docs/FASTSPRING.md): a webhook batch,
its event envelopes, `order.completed` and `return.created` data, and the answer of
`GET /events/unprocessed`.

Only the webhook and reconciliation functions import this module (pydantic stays off every
browser-facing cold start; tests/template/test_init_imports.py checks). Bodies are read with
`loads` (every non-integer number a Decimal) and validated with Powertools' `parse`; money is
Decimal, never float: a float, NaN, an infinity or an amount of 10^15 or more is refused. Fields
FastSpring adds that the portal does not use are ignored; nulls are accepted where FastSpring
sends them. A batch holds its events unvalidated, so that one bad event spoils only itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StrictStr,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)

from portal import json_input


def loads(raw: bytes | str) -> Any:
    """JSON with every non-integer number as Decimal; ValueError for anything else."""
    return json_input.parse(raw, decimals=True)


class Malformed(ValueError):
    """The data does not have the expected shape; the message says where (never the value)."""


class Rejected(ValueError):
    """The event's data can never be processed (malformed, inconsistent): recorded, acknowledged."""


class NotYet(Exception):
    """Something the event depends on has not arrived yet (a refund before its order): retried."""


Model = TypeVar("Model", bound=BaseModel)


def read(model: type[Model], data: Any) -> Model:
    """`data` (a decoded JSON object) validated as `model` by Powertools' parser.

    Raises Malformed naming the first problem's place and kind, without the offending value (the
    reason is stored and logged; values may be personal data)."""
    if not isinstance(data, dict):  # parse() would read a str as JSON: only objects here
        raise Malformed("an object is expected")
    try:
        return parse(event=data, model=model)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        raise Malformed(f"{where}: {first['msg']}") from None


# ---------------------------------------------------------------- constrained values
def _no_float(value: Any) -> Any:
    if isinstance(value, float):  # json.loads without parse_float=Decimal: precision is lost
        raise ValueError("an exact number is expected (JSON read with Decimal), not a float")
    return value


def _none_is_false(value: Any) -> Any:
    return False if value is None else value


def _len(max_length: int, min_length: int = 0, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)


Money = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=Decimal(0), lt=Decimal("1e15"), allow_inf_nan=False),
]
Quantity = Annotated[int, Strict(), Field(ge=1, le=10_000)]
EpochMillis = Annotated[int, Strict(), Field(ge=0, le=253_402_300_799_999)]  # up to 9999-12-31
Flag = Annotated[bool, Strict(), BeforeValidator(_none_is_false)]
Currency = Annotated[
    StrictStr,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", to_upper=True),
]
EventId = Annotated[StrictStr, _len(128, 1, r"^[A-Za-z0-9_\-]+$")]


class _FromFastSpring(BaseModel):
    """FastSpring adds fields over time: the ones the portal does not read are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# ---------------------------------------------------------------- the webhook batch and envelope
class WebhookBatch(_FromFastSpring):
    """One POST: `{"events": [...]}`; each event is validated on its own (Event)."""

    events: Annotated[list[Any], Field(max_length=500)]


class Event(_FromFastSpring):
    id: EventId
    type: Annotated[StrictStr, _len(128, 1)]
    live: Flag = False
    created: EpochMillis | None = None
    data: Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=dict
    )


# ---------------------------------------------------------------- order.completed
class Person(_FromFastSpring):
    first: Annotated[StrictStr, _len(200)] | None = None
    last: Annotated[StrictStr, _len(200)] | None = None
    email: Annotated[StrictStr, _len(254)] | None = None
    company: Annotated[StrictStr, _len(200)] | None = None
    phone: Annotated[StrictStr, _len(64)] | None = None


class Address(_FromFastSpring):
    country: Annotated[StrictStr, _len(64)] | None = None
    city: Annotated[StrictStr, _len(200)] | None = None


class Account(_FromFastSpring):
    """The expanded account (webhook expansion on); otherwise FastSpring sends only its id."""

    contact: Person | None = None
    address: Address | None = None
    language: Annotated[StrictStr, _len(16)] | None = None
    country: Annotated[StrictStr, _len(64)] | None = None


def _account_form(value: Any) -> str:
    return "id" if isinstance(value, str) else "object"


# FastSpring sends the account's id, or the account itself when webhook expansion is on.
AccountOrId = Annotated[
    Annotated[Annotated[StrictStr, _len(128)], Tag("id")] | Annotated[Account, Tag("object")],
    Discriminator(_account_form),
]


class Line(_FromFastSpring):
    product: Annotated[StrictStr, _len(256, 1)]
    display: Annotated[StrictStr, _len(500)] | None = None
    quantity: Quantity
    sku: Annotated[StrictStr, _len(128)] | None = None
    subtotal: Money
    attributes: dict[str, Any] | None = None


class OrderCompleted(_FromFastSpring):
    id: Annotated[StrictStr, _len(128)] | None = None
    order: Annotated[StrictStr, _len(128)] | None = None
    reference: Annotated[StrictStr, _len(64, 1)]
    changed: EpochMillis | None = None
    language: Annotated[StrictStr, _len(16)] | None = None
    currency: Currency
    total: Money
    invoice_url: Annotated[StrictStr, _len(2048)] | None = Field(default=None, alias="invoiceUrl")
    account: AccountOrId | None = None
    customer: Person | None = None
    address: Address | None = None
    items: Annotated[list[Line], Field(min_length=1, max_length=50)]
    # The checkout session's tags come back on the order (FASTSPRING.md "tags"): a paid upgrade
    # names its quote and license there. Kept as sent - read (and checked) by
    # portal.fastspring.upgrades only, so that odd tags hold an upgrade, never reject an order.
    tags: Any = None

    @model_validator(mode="after")
    def _has_an_order_id(self) -> OrderCompleted:
        if not (self.id or self.order):
            raise ValueError("an order id (id or order) is required")
        return self

    @property
    def order_id(self) -> str:
        return self.id or self.order or ""

    @property
    def expanded_account(self) -> Account | None:
        """The account object, or None when FastSpring sent only the account id."""
        return self.account if isinstance(self.account, Account) else None

    @property
    def contact(self) -> Person:
        """The buyer: each field from the order's customer, else from the expanded account."""
        account = self.expanded_account
        return _first_of(Person, self.customer, account.contact if account else None)

    @property
    def billing_address(self) -> Address:
        """Each field from the order's address, else from the expanded account's (its address,
        then its country)."""
        account = self.expanded_account
        found = _first_of(Address, self.address, account.address if account else None)
        if found.country is None and account is not None and account.country:
            found = found.model_copy(update={"country": account.country})
        return found


def _first_of(model: type[Model], *candidates: BaseModel | None) -> Model:
    """A `model` whose every field is the first non-empty value among the candidates."""
    present = [c for c in candidates if c is not None]
    return model.model_validate(
        {
            name: next((v for c in present if (v := getattr(c, name))), None)
            for name in model.model_fields
        }
    )


# ---------------------------------------------------------------- return.created
class ReturnedLine(_FromFastSpring):
    product: Annotated[StrictStr, _len(256)] | None = None
    sku: Annotated[StrictStr, _len(128)] | None = None
    quantity: Annotated[Quantity, BeforeValidator(lambda v: 1 if v is None else v)] = 1


class OriginalOrder(_FromFastSpring):
    id: Annotated[StrictStr, _len(128)] | None = None
    order: Annotated[StrictStr, _len(128)] | None = None
    reference: Annotated[StrictStr, _len(64)] | None = None


class ReturnCreated(_FromFastSpring):
    id: Annotated[StrictStr, _len(128)] | None = None
    reference: Annotated[StrictStr, _len(64)] | None = None
    original: OriginalOrder
    items: Annotated[
        list[ReturnedLine],
        BeforeValidator(lambda v: [] if v is None else v),
        Field(max_length=50),
    ] = Field(default_factory=list)


# ---------------------------------------------------------------- the events API
class UnprocessedEvents(_FromFastSpring):
    """`GET /events/unprocessed`: at most 25 events a call (kept unvalidated, like a batch's:
    each is read on its own) and whether more are waiting."""

    events: Annotated[
        list[Any], BeforeValidator(lambda v: [] if v is None else v), Field(max_length=500)
    ] = Field(default_factory=list)
    more: Flag = False
