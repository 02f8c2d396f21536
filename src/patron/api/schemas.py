"""What a request body may hold, as the API's schema states it and as its validation checks it: text any
store can keep, identifiers, amounts, and the customer fields the services accept."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, WithJsonSchema, field_validator

from patron.core.money import AMOUNT_LIMIT, currencies
from patron.customers import validation


def _bad_text(value) -> str | None:
    """What makes a text unstorable: a NUL (PostgreSQL cannot keep it) or a lone surrogate (no encoding can)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain NUL characters"
        if any("\ud800" <= c <= "\udfff" for c in value):
            return "text must be valid Unicode (it holds a lone surrogate)"
        return None
    if isinstance(value, dict):
        return next((why for k, v in value.items() if (why := _bad_text(k) or _bad_text(v))), None)
    if isinstance(value, (list, tuple)):
        return next((why for v in value if (why := _bad_text(v))), None)
    return None


# What the validator below lets through, as far as a pattern can say it in every engine (lone surrogates,
# which JSON can carry as escapes, are refused too; no regular expression engine here can name them).
STORABLE = r"^[^\x00]*$"


def _say_storable(schema: dict) -> None:
    """State in the schema what `storable_text` checks: every text field of a body refuses NUL and lone surrogates."""
    def mark(node: dict) -> None:
        # A field with a pattern of its own states it there (ID_PATTERN, the email's): one pattern per field.
        if node.get("type") == "string" and "format" not in node and "enum" not in node and "pattern" not in node:
            node["pattern"] = STORABLE
        for option in node.get("anyOf", []):
            mark(option)
        if isinstance(node.get("items"), dict):
            mark(node["items"])

    for prop in schema.get("properties", {}).values():
        mark(prop)


class In(Schema):
    """A request body. Text that no store can keep (a NUL, a lone surrogate) is refused, naming the field."""

    model_config = ConfigDict(json_schema_extra=_say_storable)

    @field_validator("*")
    @classmethod
    def storable_text(cls, value):
        if why := _bad_text(value):
            raise ValueError(why)
        return value


def fits(model, name: str, default=..., **rules):
    """A text no longer than the column that keeps it: a longer one is 422 naming the field, not a store error."""
    return Field(default, max_length=model._meta.get_field(name).max_length, **rules)


AMOUNT_PATTERN = r"^([1-9][0-9]{0,11}|0)(\.[0-9]{1,3})?$"
POSITIVE_AMOUNT_PATTERN = r"^([1-9][0-9]{0,11}(\.[0-9]{1,3})?|0\.[0-9]{0,2}[1-9])$"


def money(low_exclusive: bool = False):
    """An amount as the schema states it: a number or a decimal string, below AMOUNT_LIMIT, with at most the
    store's three decimal places (the currency's own limit is a rule across fields: 422 names it)."""
    low = {"exclusiveMinimum": 0} if low_exclusive else {"minimum": 0}
    return WithJsonSchema({"anyOf": [
        {"type": "number", **low, "exclusiveMaximum": int(AMOUNT_LIMIT), "multipleOf": 0.001},
        {"type": "string", "pattern": POSITIVE_AMOUNT_PATTERN if low_exclusive else AMOUNT_PATTERN}]})


Amount = Annotated[Decimal, Field(ge=0, lt=AMOUNT_LIMIT), money()]
PositiveAmount = Annotated[Decimal, Field(gt=0, lt=AMOUNT_LIMIT), money(low_exclusive=True)]
CURRENCIES = tuple(sorted(currencies()))
# Not blank (a character Python's strip() keeps, spelled out: \s differs between regular expression engines),
# and no NUL.
NOT_BLANK = r"[^\x00-\x20\x85\xa0" + validation.UNICODE_SPACES + "]"
ID_PATTERN = rf"^[^\x00]*{NOT_BLANK}[^\x00]*$"


def an_id(model, name: str, default=...):
    """An identifier: the column's length, and something in it besides spaces."""
    return fits(model, name, default, pattern=ID_PATTERN)


# What the customer services accept, stated in the schema (blank leaves a field as it is).
EMAIL = Field(None, max_length=254, pattern=f"{validation.EMAIL_PATTERN}|^$")
PHONE = Field(None, pattern=f"{validation.PHONE_SCHEMA_PATTERN}|^$")
LANGUAGE = Field(None, max_length=validation.LANGUAGE_LIMIT, pattern=validation.language_schema_pattern(),
                 description="a BCP 47 tag such as lt or en-GB")
COUNTRY = Field(None, json_schema_extra={"enum": sorted(validation.countries()) + [""]},
                description="ISO 3166-1 alpha-2, e.g. LT")
TIMEZONE = Field(None, json_schema_extra={"enum": sorted(validation.timezones()) + [""]},
                 description="IANA, e.g. Europe/Vilnius")
