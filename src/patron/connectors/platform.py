"""What every shop platform's client shares: its failures, named for the shop owner, and the shapes Patron
hands it (a discount code) or reads from it (what the store says of itself)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patron.core.errors import PatronError


class ShopUnreachable(PatronError):
    """The store did not answer, or answered with a failure of its own (5xx, 429): try again later."""

    code = "shop_unreachable"
    status = 502


class ShopRefused(PatronError):
    """The store answered and refused: wrong keys, too few permissions, no REST API at that address."""

    code = "shop_refused"
    status = 400


class Gone(ShopRefused):
    """What Patron asked to delete is not in the store (any more)."""


@dataclass(frozen=True)
class CouponSpec:
    """A discount code as every platform takes it."""

    code: str
    kind: str  # percent, amount (off the cart, in the store's currency) or product (one free)
    value: Decimal
    expires_at: dt.datetime | None
    email: str  # the customer's: only they may use it (blank: anyone, once)
    sku: str = ""
    description: str = ""


@dataclass(frozen=True)
class Store:
    url: str
    currency: str
    version: str  # the platform's, or its API's
    name: str = ""
