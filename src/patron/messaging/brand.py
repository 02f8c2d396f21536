"""The shop's look in its emails: what the Brand page keeps, over the settings' values, checked and audited."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from patron.core import audit, memo
from patron.core.errors import InvalidInput
from patron.messaging.models import Brand

FIELDS = ("logo_url", "colour", "background", "fonts", "shop_address", "shop_url", "reply_to")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
ADDRESS = re.compile(r"https://[^\s\"'<>]+")
FONTS = re.compile(r"[\w\s,'\-]+")


def defaults() -> dict[str, str]:
    """The settings' values, which a blank field on the page keeps."""
    return {"logo_url": settings.PATRON_BRAND_LOGO_URL, "colour": settings.PATRON_BRAND_COLOUR,
            "background": settings.PATRON_BRAND_BACKGROUND, "fonts": settings.PATRON_BRAND_FONTS,
            "shop_address": settings.PATRON_SHOP_ADDRESS, "shop_url": settings.PATRON_SHOP_URL,
            "reply_to": settings.PATRON_REPLY_TO}


def saved() -> dict[str, str]:
    """What the page keeps (blank where it keeps nothing); read once per process until it changes."""
    found = memo.rows("brand", lambda: list(Brand.objects.filter(pk=1).values(*FIELDS)))
    return found[0] if found else dict.fromkeys(FIELDS, "")


def current() -> dict[str, str]:
    """The look every email takes now: the page's value, else the setting's."""
    kept = saved()
    return {name: kept.get(name) or value for name, value in defaults().items()}


def check(values: dict) -> dict[str, str]:
    cleaned = {name: " ".join(str(values.get(name) or "").split()) for name in FIELDS}
    for name in ("colour", "background"):
        if cleaned[name] and not COLOUR.fullmatch(cleaned[name]):
            raise InvalidInput(f"{name}: a colour is written #RRGGBB (as #1d4ed8), not {cleaned[name]!r}", field=name)
        cleaned[name] = cleaned[name].lower()
    for name in ("logo_url", "shop_url"):
        if cleaned[name] and not ADDRESS.fullmatch(cleaned[name]):
            raise InvalidInput(f"{name}: an address starting with https://, not {cleaned[name]!r}", field=name)
    if cleaned["fonts"] and not FONTS.fullmatch(cleaned["fonts"]):
        raise InvalidInput("fonts: font names separated by commas (letters, digits, spaces, - and ')", field="fonts")
    if cleaned["reply_to"]:
        try:
            validate_email(cleaned["reply_to"])
        except ValidationError:
            raise InvalidInput(f"reply_to: not an email address: {cleaned['reply_to']!r}", field="reply_to") from None
    for name, limit in (("shop_address", 300), ("fonts", 200), ("logo_url", 500), ("shop_url", 500)):
        if len(cleaned[name]) > limit:
            raise InvalidInput(f"{name}: at most {limit} characters", field=name)
    return cleaned


@transaction.atomic
def save(values: dict, *, actor=None) -> dict[str, str]:
    cleaned = check(values)
    before = saved()
    Brand.objects.update_or_create(pk=1, defaults=cleaned)
    changed = sorted(name for name in FIELDS if cleaned[name] != (before.get(name) or ""))
    if changed:
        audit.record(actor, audit.BRAND_CHANGED, "brand", changed=changed, **{name: cleaned[name] for name in changed})
    return current()
