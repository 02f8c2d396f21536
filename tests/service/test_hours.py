"""The SLA clock in business hours: weekends, holidays, time zones, clock changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from patron.core.errors import InvalidInput
from patron.service.hours import BusinessCalendar

RIGA = ZoneInfo("Europe/Riga")
WEEKDAYS = {str(d): [["09:00", "17:00"]] for d in range(1, 6)}


def riga(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=RIGA)


def test_friday_afternoon_rolls_over_the_weekend():
    calendar = BusinessCalendar.from_config("Europe/Riga", WEEKDAYS)
    # Friday 2026-06-05 16:00: one hour left that day, three more on Monday from 09:00.
    assert calendar.add(riga(2026, 6, 5, 16, 0), 240) == riga(2026, 6, 8, 12, 0)
    # Created on Saturday: the clock starts on Monday at 09:00.
    assert calendar.add(riga(2026, 6, 6, 11, 0), 60) == riga(2026, 6, 8, 10, 0)
    assert calendar.elapsed(riga(2026, 6, 5, 16, 0), riga(2026, 6, 8, 12, 0)) == 240


def test_holidays_are_skipped_midsummer_in_latvia():
    # Līgo and Jāņi, 23 and 24 June 2026 (Tuesday, Wednesday), are public holidays in Latvia.
    calendar = BusinessCalendar.from_config("Europe/Riga", WEEKDAYS, ["2026-06-23", "2026-06-24"])
    assert calendar.add(riga(2026, 6, 22, 16, 0), 120) == riga(2026, 6, 25, 10, 0)
    assert calendar.elapsed(riga(2026, 6, 22, 9, 0), riga(2026, 6, 26, 9, 0)) == 2 * 8 * 60
    assert not calendar.is_open(riga(2026, 6, 24, 12, 0)) and calendar.is_open(riga(2026, 6, 25, 12, 0))


def test_the_teams_time_zone_decides_what_open_means():
    tbilisi = BusinessCalendar.from_config("Asia/Tbilisi", WEEKDAYS)  # UTC+4 all year
    start = dt.datetime(2026, 6, 8, 4, 30, tzinfo=dt.UTC)  # 08:30 in Tbilisi, 07:30 in Riga
    assert tbilisi.add(start, 30) == dt.datetime(2026, 6, 8, 5, 30, tzinfo=dt.UTC)  # 09:30 Tbilisi
    riga_team = BusinessCalendar.from_config("Europe/Riga", WEEKDAYS)
    assert riga_team.add(start, 30) == dt.datetime(2026, 6, 8, 6, 30, tzinfo=dt.UTC)  # 09:30 Riga (UTC+3 in summer)


def test_a_clock_change_keeps_local_hours():
    calendar = BusinessCalendar.from_config("Europe/Riga", {str(d): [["09:00", "17:00"]] for d in range(1, 8)})
    # Clocks go forward on Sunday 29 March 2026: opening is still 09:00 local, which is 06:00 UTC, not 07:00.
    assert calendar.add(riga(2026, 3, 28, 16, 0), 120) == riga(2026, 3, 29, 10, 0)
    assert calendar.add(riga(2026, 3, 28, 16, 0), 120).astimezone(dt.UTC).hour == 7


def test_split_shifts_and_a_midnight_close():
    calendar = BusinessCalendar.from_config("UTC", {"1": [["09:00", "12:00"], ["13:00", "17:00"]], "2": [["20:00", "00:00"]]})
    monday = dt.datetime(2026, 6, 8, 11, 0, tzinfo=dt.UTC)
    assert calendar.add(monday, 90) == dt.datetime(2026, 6, 8, 13, 30, tzinfo=dt.UTC)  # lunch 12-13 does not count
    assert calendar.add(dt.datetime(2026, 6, 8, 17, 0, tzinfo=dt.UTC), 240) == dt.datetime(2026, 6, 10, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("hours, holidays, zone, message", [
    ({"8": [["09:00", "17:00"]]}, [], "UTC", "ISO weekday"),
    ({"1": [["17:00", "09:00"]]}, [], "UTC", "does not come after"),
    ({"1": [["9am", "17:00"]]}, [], "UTC", "not a time of day"),
    (WEEKDAYS, ["24.06.2026"], "UTC", "not a date"),
    (WEEKDAYS, [], "Mars/Olympus", "unknown time zone"),
])
def test_bad_calendars_are_refused_by_name(hours, holidays, zone, message):
    with pytest.raises(InvalidInput, match=message):
        BusinessCalendar.from_config(zone, hours, holidays)


def test_a_calendar_that_is_never_open_is_refused():
    with pytest.raises(InvalidInput, match="no open hours"):
        BusinessCalendar.from_config("UTC", {}).add(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 10)


moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC))


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20_000))
def test_add_and_elapsed_agree(start, minutes):
    calendar = BusinessCalendar.from_config("Europe/Riga", WEEKDAYS, ["2026-06-23", "2026-06-24", "2026-12-25"])
    due = calendar.add(start, minutes)
    assert due >= start
    assert calendar.elapsed(start, due) == pytest.approx(minutes, abs=1e-6)
