"""Name days: which first names are celebrated on a date, per language, and how a customer's first name
is matched against them (case, and the diacritics a person may leave out: "Janis" is Jānis)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from calendar import isleap
from importlib.resources import files
from pathlib import Path

DATA = Path(__file__).parent / "data"
LANGUAGES = ("lv", "lt", "et")


@functools.cache
def calendar(language: str) -> dict[str, list[str]]:
    """{"MM-DD": [names]} for a language; {} for one without a calendar here."""
    if language == "lv":
        merged: dict[str, list[str]] = {}
        for name in ("tradic_vardadienu_saraksts.json", "paplasinatais_saraksts.json"):  # traditional, then extended
            data = json.loads(files("lv_namedays.data").joinpath(name).read_text(encoding="utf-8"))
            for day, names in data.items():
                merged.setdefault(day, [])
                merged[day] += [n for n in names if n not in merged[day]]
        return merged
    path = DATA / f"{language}_namedays.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def fold(name: str) -> str:
    """A name as compared: case-folded and without diacritics ("Jānis" and "JANIS" both become "janis")."""
    decomposed = unicodedata.normalize("NFKD", (name or "").strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spellings(name: str) -> set[str]:
    """How a customer's first name may be stored and still be this name: as written, capitalised, in
    capitals or in lower case, each with and without diacritics (a SQL `IN` list needs them all:
    SQLite's LOWER() folds ASCII only)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    out = set()
    for form in {name, plain}:
        out |= {form, form.lower(), form.upper(), form[:1].upper() + form[1:].lower()}
    return out


def names_on(language: str, day: dt.date) -> list[str]:
    names = list(calendar(language).get(day.strftime("%m-%d"), []))
    if day.month == 2 and day.day == 28 and not isleap(day.year):
        names += calendar(language).get("02-29", [])  # 29 February's names: the 28th in other years
    return names


@functools.cache
def _days_of(language: str) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for day, names in calendar(language).items():
        for name in names:
            index.setdefault(fold(name), []).append(day)
    return index


def name_days(language: str, first_name: str) -> list[str]:
    """The days ("MM-DD") a first name is celebrated in the language's calendar; a double name
    ("Anna Marija") has the days of each part."""
    days: list[str] = []
    for part in (first_name or "").replace("-", " ").split():
        days += [d for d in _days_of(language).get(fold(part), []) if d not in days]
    return sorted(days)
