"""Numbers, money and dates on portal pages as the customer's language writes them (Babel)."""

import re
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from django import template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

register = template.Library()

MOVEMENTS = {"earn": _("Earned"), "adjust": _("Adjusted"), "redeem": _("Spent on a reward"), "expire": _("Expired"),
             "reverse": _("Taken back (refund)")}
MEMBERSHIP = {"active": _("Active, renews"), "cancelling": _("Cancelled, benefits until the period ends"), "ended": _("Ended")}
SURVEYS = {"nps": _("How likely are you to recommend us?"), "csat": _("How satisfied are you with us?")}
IDEAS = {"open": _("Received"), "planned": _("Planned"), "implemented": _("Done"), "declined": _("Not planned")}


def _locale() -> str:
    return translation.get_language() or "en"


@register.filter
def number(value) -> str:
    return format_decimal(value or 0, locale=_locale())


@register.filter
def money(value, currency: str) -> str:
    return format_currency(Decimal(value or 0), currency, locale=_locale())


@register.filter
def percent(value) -> str:
    return format_percent(Decimal(value or 0) / 100, locale=_locale())


@register.filter(is_safe=True)
def one_period(text: str) -> str:
    """A sentence that ends on a date written with its own period (Latvian "2026. gada 10. jūl.") ends there,
    not with a second one."""
    return re.sub(r"(?<=[^.])\.\.(?=\s|<|$)", ".", text)


@register.filter
def day(value) -> str:
    return format_date(value, format="medium", locale=_locale()) if value else ""


@register.filter
def named(code, kind: str) -> str:
    table = {"movement": MOVEMENTS, "membership": MEMBERSHIP, "survey": SURVEYS, "idea": IDEAS}[kind]
    return str(table.get(code, code))


@register.filter
def local(thing) -> str:
    """{{ reward|local }}: a reward's, tier's, plan's or program's name in the page's language, else its own."""
    return thing.name_in(translation.get_language() or "en") if thing else ""


@register.filter
def local_description(thing) -> str:
    """{{ reward|local_description }}: what the customer reads under a reward's name, in the page's language."""
    return thing.description_in(translation.get_language() or "en") if thing else ""
