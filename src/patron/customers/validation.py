"""What a valid customer field is. The one-record services and the bulk import share these rules."""

import re
from functools import cache
from zoneinfo import available_timezones

from babel import Locale

from patron.core.errors import InvalidInput

# Spaces and control characters spelled out rather than \s, which means more characters in Python than in
# the JSON Schema (ECMA) regular expressions the API's schema states this pattern in.
# The ASCII ones as \x escapes, the others as the characters themselves: the one pattern serves Python's re,
# the import's RE2 and the schema's ECMA syntax, which spell \u escapes differently.
# The spaces beyond Latin-1 that Python's str.isspace() and strip() know, as the characters themselves.
UNICODE_SPACES = "\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_IN_ADDRESS = r"[^@,;<>\x00-\x20\x7f-\xa0" + UNICODE_SPACES + "\ufeff]"
EMAIL_PATTERN = rf"^{_NOT_IN_ADDRESS}+@{_NOT_IN_ADDRESS}+\.{_NOT_IN_ADDRESS}+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{4,30}$"
# The same, as the API's schema states it: what the pattern accepts once the value is stripped, so no
# space at either end (the last character one the pattern allows and strip() keeps).
PHONE_SCHEMA_PATTERN = r"^\+?[0-9][0-9 ()./-]{3,29}[0-9()./-]$"
LANGUAGE_LIMIT = 16  # the column's length: a language and a region or script, not a whole tag with extensions
LANGUAGE_PATTERN = re.compile(r"^([A-Za-z]{2,3})((?:-[A-Za-z0-9]{1,8})*)$")


@cache
def _known_languages() -> frozenset[str]:
    return frozenset(code for code in Locale("en").languages if "_" not in code)


@cache
def _known_countries() -> frozenset[str]:
    # CLDR also names regions that are no country: unknown (ZZ), outlying Oceania (QO), EU, EZ, UN, pseudo (XA, XB).
    regions = {"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"}
    return frozenset(c for c in Locale("en").territories if len(c) == 2 and c.isalpha() and c not in regions)


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def countries() -> frozenset[str]:
    return _known_countries()


def timezones() -> frozenset[str]:
    return _known_timezones()


def language_schema_pattern() -> str:
    """LANGUAGE_PATTERN with the known languages spelled out, for the API's schema."""
    codes = "|".join(sorted(_known_languages(), key=lambda c: (-len(c), c)))
    return f"^(?:{codes}|{codes.upper()})(?:[-_][A-Za-z0-9]{{1,8}})*$|^$"


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not re.match(EMAIL_PATTERN, email):
        raise InvalidInput(f"bad email {value!r}", field="email")
    return email


def normalize_phone(value: str) -> str:
    phone = value.strip()
    if not re.match(PHONE_PATTERN, phone):
        raise InvalidInput(f"bad phone number {value!r}", field="phone")
    return phone


@cache
def normalize_language(value: str) -> str:
    """A BCP 47 tag with its cases normalised: 'LT' -> 'lt', 'en-gb' -> 'en-GB'."""
    match = LANGUAGE_PATTERN.match(value.strip().replace("_", "-"))
    if not match or match.group(1).lower() not in _known_languages() or len(value.strip()) > LANGUAGE_LIMIT:
        raise InvalidInput(f"unknown language {value!r} (expected a BCP 47 tag such as lt or en-GB)", field="language")
    parts = [match.group(1).lower()]
    for sub in match.group(2).split("-")[1:]:
        parts.append(sub.upper() if len(sub) == 2 else sub.title() if len(sub) == 4 else sub.lower())
    return "-".join(parts)


@cache
def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if code not in _known_countries():
        raise InvalidInput(f"unknown country {value!r} (expected ISO 3166-1 alpha-2, e.g. LT)", field="country")
    return code


@cache
def check_timezone(value: str) -> str:
    zone = value.strip()
    if zone not in _known_timezones():
        raise InvalidInput(f"unknown time zone {value!r} (expected IANA, e.g. Europe/Vilnius)", field="timezone")
    return zone
