"""Business hours: the clock an SLA runs on.

A calendar is the team's time zone, opening hours per ISO weekday (1 Monday .. 7 Sunday, each a
list of [open, close] local times) and holidays (dates the team is closed, and the public holidays of
its country). Times are computed in
local wall-clock time and converted back to UTC, so a day on which clocks change is still open
09:00-17:00 local time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from patron.core.errors import InvalidInput
from patron.culture import calendars

MAX_DAYS = 3660  # a due date further than ten years out means the calendar is (nearly) never open


def _time(text: str, where: str) -> dt.time:
    try:
        value = dt.time.fromisoformat(str(text))
    except ValueError:
        raise InvalidInput(f"{where}: {text!r} is not a time of day such as 09:00") from None
    return value


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()
    country: str = ""  # its public holidays are closed too (the `holidays` package)

    @classmethod
    def from_config(cls, timezone: str, hours: dict, holidays=(), country: str = "") -> "BusinessCalendar":
        """From stored JSON: {"1": [["09:00", "17:00"]], ...} (or "1": ["09:00", "17:00"]) and ISO dates."""
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {timezone!r}", field="timezone") from None
        parsed: dict[int, tuple] = {}
        for day, spans in (hours or {}).items():
            if str(day) not in {"1", "2", "3", "4", "5", "6", "7"}:
                raise InvalidInput(f"hours: {day!r} is not an ISO weekday 1 (Monday) to 7 (Sunday)", field="hours")
            if spans and not isinstance(spans[0], (list, tuple)):
                spans = [spans]
            windows = []
            for span in spans or []:
                if len(span) != 2:
                    raise InvalidInput(f"hours[{day}]: each span is [open, close]", field="hours")
                start, end = _time(span[0], f"hours[{day}]"), _time(span[1], f"hours[{day}]")
                if end <= start and end != dt.time(0):
                    raise InvalidInput(f"hours[{day}]: {span[1]} does not come after {span[0]}", field="hours")
                windows.append((start, end))
            parsed[int(day)] = tuple(sorted(windows))
        days = set()
        for value in holidays or ():
            try:
                days.add(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
            except ValueError:
                raise InvalidInput(f"holidays: {value!r} is not a date YYYY-MM-DD", field="holidays") from None
        country = (country or "").strip().upper()
        if country and not calendars.supported(country):
            raise InvalidInput(f"holiday_country: no public holidays known for {country!r} (an ISO 3166 code such as LV)",
                               field="holiday_country")
        return cls(timezone, parsed, frozenset(days), country)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open spans of a local day as aware UTC datetimes (none on holidays and closed days)."""
        if day in self.holidays or (self.country and calendars.day_off(self.country, day)):
            return []
        out = []
        for start, end in self.hours.get(day.isoweekday(), ()):
            opens = dt.datetime.combine(day, start, tzinfo=self.zone)
            closes = dt.datetime.combine(day + dt.timedelta(days=1) if end == dt.time(0) else day, end, tzinfo=self.zone)
            out.append((opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)))
        return out

    def _days_from(self, moment: dt.datetime):
        day = moment.astimezone(self.zone).date() - dt.timedelta(days=1)  # a span may start the local day before
        for _ in range(MAX_DAYS):
            yield day
            day += dt.timedelta(days=1)
        raise InvalidInput("the calendar has no open hours within ten years", field="hours")

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment `minutes` of open time after `start`."""
        left = dt.timedelta(minutes=minutes)
        if left <= dt.timedelta(0):
            return start
        for day in self._days_from(start):
            for opens, closes in self.windows(day):
                if closes <= start:
                    continue
                begin = max(opens, start)
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        raise AssertionError("unreachable")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        """Minutes of open time between `start` and `end` (0 if end is not after start)."""
        if end <= start:
            return 0.0
        total = dt.timedelta(0)
        for day in self._days_from(start):
            if dt.datetime.combine(day, dt.time(), tzinfo=self.zone) > end:
                break
            for opens, closes in self.windows(day):
                begin, finish = max(opens, start), min(closes, end)
                if finish > begin:
                    total += finish - begin
        return total.total_seconds() / 60

    def is_open(self, moment: dt.datetime) -> bool:
        day = moment.astimezone(self.zone).date()
        return any(o <= moment < c for d in (day - dt.timedelta(days=1), day) for o, c in self.windows(d))
