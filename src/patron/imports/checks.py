"""Column checks over a whole batch at once; each rejects the rows it finds wrong, with a reason."""

import datetime as dt
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from patron.core.errors import InvalidInput
from patron.core.money import is_currency, minor_units
from patron.core.values import parse_bool
from patron.imports.source import Batch

NUMBER_PATTERN = r"^\d{1,12}(\.\d+)?$"
INTEGER_PATTERN = r"^\d{1,9}$"
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


class Checked:
    """A batch under check: typed values for the rows still good, a reason for each rejected one."""

    def __init__(self, batch: Batch):
        self.raw = batch.columns
        self.lines = batch.lines
        self.ok = np.ones(len(batch), dtype=bool)
        self.reasons = np.empty(len(batch), dtype=object)
        for name, array in self.raw.items():
            # No database text column takes NUL (PostgreSQL refuses it outright).
            self.reject(_mask(pc.match_substring(array, "\x00")), f"{name} contains a NUL character")

    def reject(self, mask: np.ndarray, reason) -> None:
        """Reject rows in `mask` that are still good; the first reason found for a row is the one kept."""
        mask = mask & self.ok
        if mask.any():
            self.reasons[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
            self.ok &= ~mask

    def column(self, name: str) -> pa.Array:
        if name in self.raw:
            return self.raw[name]
        return pa.nulls(len(self.lines), pa.string())


def _mask(array: pa.Array) -> np.ndarray:
    return array.fill_null(False).to_numpy(zero_copy_only=False)


def present(array: pa.Array) -> np.ndarray:
    return array.is_valid().to_numpy(zero_copy_only=False)


def required(checked: Checked, name: str) -> pa.Array:
    array = checked.column(name)
    checked.reject(~present(array), f"{name} is empty")
    return array


def max_length(checked: Checked, name: str, array: pa.Array, limit: int) -> pa.Array:
    checked.reject(_mask(pc.greater(pc.utf8_length(array), limit)), f"{name} is longer than {limit} characters")
    return array


def pattern(checked: Checked, name: str, array: pa.Array, regex: str, what: str) -> pa.Array:
    bad = present(array) & ~_mask(pc.match_substring_regex(array, regex))
    if bad.any():
        checked.reject(bad, _quoted(array, bad, what))
    return array


def each_distinct(checked: Checked, array: pa.Array, normalize: Callable[[str], object], type_=pa.string()) -> pa.Array:
    """Check and normalise each distinct value once (languages, countries, currencies: few values, many rows)."""
    distinct = pc.unique(array.drop_null())
    normalized, messages = [], []
    for value in distinct.to_pylist():
        try:
            normalized.append(normalize(value))
            messages.append(None)
        except InvalidInput as exc:
            normalized.append(None)
            messages.append(exc.message)
    index = pc.index_in(array, value_set=distinct)
    reasons = pa.array(messages, pa.string()).take(index).to_numpy(zero_copy_only=False)
    bad = np.array([r is not None for r in reasons], dtype=bool) if len(reasons) else np.zeros(0, bool)
    checked.reject(bad, reasons)
    return pa.array(normalized, type_).take(index)


def boolean(checked: Checked, name: str, array: pa.Array) -> pa.Array:
    return each_distinct(checked, array, lambda v: parse_bool(v, name), pa.bool_())


def timestamps(checked: Checked, name: str, array: pa.Array, *, latest: dt.datetime | None = None) -> pa.Array:
    """ISO 8601 date-times as UTC; a value without an offset is taken as UTC."""
    parsed = _fast_timestamps(array)
    if parsed is None:
        values = []
        for text in array.to_pylist():
            if text is None:
                values.append(None)
                continue
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                values.append(None)
                continue
            values.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
        parsed = pa.array(values, pa.timestamp("us", "UTC"))
    bad = present(array) & ~present(parsed)
    if bad.any():
        checked.reject(bad, _quoted(array, bad, f"{name} is not an ISO date-time"))
    too_early = _mask(pc.less(parsed, pa.scalar(EARLIEST, pa.timestamp("us", "UTC"))))
    checked.reject(too_early, f"{name} is before 1900")
    if latest is not None:
        too_late = _mask(pc.greater(parsed, pa.scalar(latest, pa.timestamp("us", "UTC"))))
        checked.reject(too_late, f"{name} is in the future")
    return parsed


def _fast_timestamps(array: pa.Array) -> pa.Array | None:
    """Whole-batch parse when every value has the same shape; None sends the batch to the careful path."""
    for target in (pa.timestamp("us"), pa.timestamp("us", "UTC")):
        try:
            parsed = pc.cast(array, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return parsed if target.tz else parsed.cast(pa.timestamp("us", "UTC"))
    return None


def dates(checked: Checked, name: str, array: pa.Array, *, latest: dt.date) -> pa.Array:
    well_formed = pc.match_substring_regex(array, r"^\d{4}-\d{2}-\d{2}$")
    parsed = pc.strptime(pc.if_else(well_formed, array, None), format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 1990-02-30 over to March; a real date prints back as it was written.
    parsed = pc.if_else(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), array), parsed, None)
    bad = present(array) & ~present(parsed)
    if bad.any():
        checked.reject(bad, _quoted(array, bad, f"{name} is not an ISO date (YYYY-MM-DD)"))
    as_date = parsed.cast(pa.date32())
    checked.reject(_mask(pc.less(as_date, pa.scalar(dt.date(1900, 1, 1)))), f"{name} is before 1900")
    checked.reject(_mask(pc.greater(as_date, pa.scalar(latest))), f"{name} is in the future")
    return pc.strftime(parsed, format="%Y-%m-%d")


def amounts(checked: Checked, name: str, array: pa.Array, currency: pa.Array) -> pa.Array:
    """Non-negative decimals with no more places than the row's currency has; kept as exact text."""
    texts = array.to_pylist()
    well_formed = _mask(pc.match_substring_regex(array, NUMBER_PATTERN))
    bad = present(array) & ~well_formed
    if bad.any():
        reasons = np.empty(len(texts), dtype=object)
        for i in np.flatnonzero(bad):
            text = texts[i]
            if text.startswith("-") and _is_number(text[1:]):
                reasons[i] = f"{name} {text} is negative"
            elif "," in text and _is_number(text.replace(",", ".", 1)):
                reasons[i] = f"{name} {text!r} uses a comma; write the decimal point as a dot"
            else:
                reasons[i] = f"{name} {text!r} is not a number"
        checked.reject(bad, reasons)
    dot = pc.find_substring(array, ".")
    places = pc.if_else(pc.greater_equal(dot, 0), pc.subtract(pc.subtract(pc.utf8_length(array), dot), 1), 0)
    allowed = each_distinct(checked, currency, minor_units_of, pa.int32())
    too_precise = _mask(pc.greater(places, allowed)) & well_formed
    if too_precise.any():
        currencies = currency.to_pylist()
        reasons = np.empty(len(texts), dtype=object)
        for i in np.flatnonzero(too_precise):
            reasons[i] = f"{name} {texts[i]} has more decimal places than {currencies[i]} allows ({minor_units(currencies[i])})"
        checked.reject(too_precise, reasons)
    return array


def minor_units_of(code: str) -> int:
    if not is_currency(code):
        raise InvalidInput(f"unknown currency {code!r}")
    return minor_units(code)


def positive_integers(checked: Checked, name: str, array: pa.Array) -> pa.Array:
    pattern(checked, name, array, INTEGER_PATTERN, f"{name} is not a whole number")
    values = pc.cast(pc.if_else(pc.match_substring_regex(array, INTEGER_PATTERN), array, None), pa.int64())
    checked.reject(_mask(pc.less_equal(values, 0)), f"{name} must be more than zero")
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _quoted(array: pa.Array, bad: np.ndarray, what: str) -> np.ndarray:
    """Per-row reasons that quote the offending value, for the rows in `bad`."""
    reasons = np.empty(len(array), dtype=object)
    texts = array.filter(pa.array(bad)).to_pylist()
    reasons[np.flatnonzero(bad)] = [f"{what}: {t!r}" for t in texts]
    return reasons
