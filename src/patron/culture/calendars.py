"""Public holidays per country (the `holidays` package): the days businesses close, and the days
customers celebrate."""

from __future__ import annotations

import datetime as dt
import functools

import holidays

# Days off that celebrate nothing: a weekend holiday moved to a weekday, or a bridging day.
NOT_CELEBRATED = ("substituted", "(observed)", "Day off", "Public Holiday")


@functools.lru_cache(maxsize=256)
def _year(country: str, year: int, language: str | None) -> dict[dt.date, str]:
    try:
        found = holidays.country_holidays(country, years=year, language=language)
    except NotImplementedError:
        return {}
    return dict(found.items())


@functools.lru_cache(maxsize=512)
def supported(country: str) -> bool:  # cached: the worker asks for every marketing message it sends
    return bool((country or "").strip()) and country.upper() in holidays.list_supported_countries()


def day_off(country: str, day: dt.date) -> bool:
    """Whether `day` is a public holiday (a day off) in the country; False for an unknown country."""
    return supported(country) and day in _year(country.upper(), day.year, None)


def celebration(country: str, day: dt.date, language: str | None = None, only: list[str] | None = None) -> str | None:
    """The holiday celebrated in the country on `day`, named in `language` where the package has it
    (else in English), or None. A substituted or observed day off is not a celebration. `only`:
    English names to keep (e.g. ["Christmas Day", "New Year's Day"])."""
    if not supported(country):
        return None
    english = _year(country.upper(), day.year, "en_US").get(day)
    if english is None or any(mark in english for mark in NOT_CELEBRATED):
        return None
    if only and not any(name in only for name in english.split("; ")):
        return None
    local = None
    if language:
        try:
            local = _year(country.upper(), day.year, language).get(day)
        except (KeyError, ValueError):
            local = None
    return local or english


@functools.cache
def local_language(country: str) -> str:
    """The language the package names a country's holidays in by default (e.g. LV -> lv)."""
    if not supported(country):
        return ""
    return getattr(holidays.country_holidays(country.upper()), "default_language", "") or ""
