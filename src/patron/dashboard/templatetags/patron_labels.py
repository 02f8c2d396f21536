from decimal import Decimal

from babel.dates import format_timedelta
from babel.numbers import format_currency, format_decimal
from django import template
from django.conf import settings
from django.utils import timezone

from patron.core.names import staff_language
from patron.dashboard.labels import label as name_of

register = template.Library()


@register.filter
def label(code, kind: str) -> str:
    """{{ score.segment|label:"segment" }}: the code's name in the staff member's language."""
    return name_of(kind, code)


@register.filter
def local_name(thing) -> str:
    """{{ journey|local_name }}: its name in the staff member's language, where it has one."""
    return thing.name_in(staff_language())


@register.filter
def local_description(thing) -> str:
    """{{ journey|local_description }}: what it is for, in the staff member's language where it has it."""
    return thing.description_in(staff_language())


@register.filter
def ago(moment) -> str:
    """How long ago, as the staff member's language says it ("prieš 9 valandas")."""
    return format_timedelta(moment - timezone.now(), add_direction=True, locale=staff_language())


@register.filter
def figure(value) -> str:
    """A number as the staff member's language writes it (-15,5 in Lithuanian), at most two decimals."""
    if value is None or value == "":
        return "–"
    return format_decimal(Decimal(str(round(float(value), 2))), locale=staff_language(),
                          decimal_quantization=False)


@register.filter
def get(table: dict, key) -> str:
    """{{ names|get:code }}: a table's entry for a code, else the code."""
    return table.get(key, key) if table else key


@register.filter
def language_fields(form, field: str) -> list:
    """{{ form|language_fields:"name" }}: a setup form's per-language fields for `field`."""
    return form.language_fields(field)


@register.filter
def money(value) -> str:
    """{{ score.clv_12m|money }}: an amount of the reports (in PATRON_REPORTING_CURRENCY), with its currency, as the
    staff member's language writes it."""
    if value is None or value == "":
        return "–"
    return format_currency(Decimal(str(value)), settings.PATRON_REPORTING_CURRENCY, locale=staff_language())
