"""Plain values read the same way by every context and by the bulk import: yes and no, days, JSON strings."""

import datetime as dt

from django.utils.dateparse import parse_date

from patron.core.errors import InvalidInput

TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", "f"})


def parse_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(f"{field} must be true or false, not {value!r}", field=field)


def map_strings(function, value):
    """JSON-like `value` with `function` applied to every string in it, dictionary keys included."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [map_strings(function, v) for v in value]
    if isinstance(value, dict):
        return {function(str(k)): map_strings(function, v) for k, v in value.items()}
    return value


def parse_day(value: str | None, option: str) -> dt.datetime | None:
    """The start (UTC) of the day a command's `--option YYYY-MM-DD` names; None when it was not given."""
    if value is None:
        return None
    day = parse_date(value) if isinstance(value, str) else None
    if day is None:
        raise InvalidInput(f"--{option} must be a date, YYYY-MM-DD, not {value!r}")
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
