"""Money in the reporting currency (PATRON_REPORTING_CURRENCY): each order's value converted at its day's rate
(commerce.rates). An order whose currency has no rate that day keeps no value: it still counts as an order, its
amount is never summed with others, and `left_out` says which currencies and how much."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from patron.analytics.frames import materialize
from patron.commerce.rates import Rates
from patron.insights import store


@dataclass
class Converted:
    orders: pa.Table  # customer_id, placed_at, value (in `currency`; null without a rate), currency (the order's own)
    currency: str
    left_out: list[dict] = field(default_factory=list)  # {"currency", "orders", "amount"}: no rate on their days

    def priced(self) -> pa.Table:
        """The orders with a value, for what must have money on every row (the spend models)."""
        return self.orders.filter(pc.is_valid(self.orders["value"]))

    def as_dict(self) -> dict:
        return {"currency": self.currency, "left_out": self.left_out}


def to_reporting(orders: pa.Table, currency: str | None = None) -> Converted:
    """`orders` (with value and currency columns) with every value in `currency`."""
    target = (currency or settings.PATRON_REPORTING_CURRENCY).upper()
    days = pc.cast(orders["placed_at"], pa.date32())
    codes = pc.utf8_upper(pc.fill_null(orders["currency"], target))
    pairs = pa.table({"currency": codes, "day": days}).group_by(["currency", "day"]).aggregate([])
    rates = Rates(set(pairs["currency"].to_pylist()) | {target})
    factors = pa.array([rates.factor(c, target, d) for c, d in zip(pairs["currency"].to_pylist(), pairs["day"].to_pylist())],
                       pa.float64())
    lookup = pa.table({"currency": pairs["currency"], "day": pairs["day"], "factor": factors})
    work = pa.table({"row": pa.array(range(len(orders)), pa.int64()), "currency": codes, "day": days})
    factor = work.join(lookup, keys=["currency", "day"], join_type="left outer").sort_by("row")["factor"]
    value = pc.multiply(orders["value"], factor)
    missing = pc.and_(pc.is_null(factor), pc.is_valid(orders["value"]))
    left_out = []
    if pc.any(missing).as_py():
        lost = pa.table({"currency": codes, "value": orders["value"]}).filter(missing) \
            .group_by("currency").aggregate([("value", "count"), ("value", "sum")]).sort_by("currency")
        left_out = [{"currency": c, "orders": n, "amount": round(a, 2)}
                    for c, n, a in zip(lost["currency"].to_pylist(), lost["value_count"].to_pylist(), lost["value_sum"].to_pylist())]
    converted = pa.table({"customer_id": orders["customer_id"], "placed_at": orders["placed_at"], "value": value,
                          "currency": codes})
    return Converted(converted, target, left_out)


def purchases(currency: str | None = None) -> Converted:
    """Every purchase that stands (store.orders), its value in the reporting currency."""
    return to_reporting(materialize(store.orders()), currency)
