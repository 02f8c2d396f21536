"""Money is Decimal with its ISO 4217 currency; points are int."""

from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from patron.core.errors import InvalidInput

# Orders store three decimal places, enough for every ISO 4217 currency in use (KWD, BHD...).
AMOUNT_DECIMAL_PLACES = 3
AMOUNT_MAX_DIGITS = 15
AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES)  # what the columns can hold, exclusive


# ISO 4217 codes that are no money a shop is paid in: precious metals, fund units, test and "no currency".
NOT_TENDER = frozenset({"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"})


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - NOT_TENDER


def is_currency(code: str) -> bool:
    return code in currencies()


@cache
def minor_units(currency: str) -> int:
    """Decimal places the currency uses (EUR 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def parse_amount(value, currency: str, *, allow_negative: bool = False, field: str = "amount") -> Decimal:
    """A Decimal for `value`, or InvalidInput naming what is wrong with it (and `field`)."""
    if not is_currency(currency):
        raise InvalidInput(f"unknown currency {currency!r}", field="currency")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field} {value!r} is not a number", field=field) from None
    if not amount.is_finite():
        raise InvalidInput(f"{field} {value!r} is not a number", field=field)
    if amount < 0 and not allow_negative:
        raise InvalidInput(f"{field} {value} is negative", field=field)
    if abs(amount) >= AMOUNT_LIMIT:
        raise InvalidInput(f"{field} {value} is too large (below {AMOUNT_LIMIT:,.0f})", field=field)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_units(currency):
        raise InvalidInput(
            f"{field} {value} has more decimal places than {currency} allows ({minor_units(currency)})",
            field=field,
        )
    return amount
