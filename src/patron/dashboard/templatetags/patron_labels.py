from django import template

from patron.dashboard.labels import label as name_of

register = template.Library()


@register.filter
def label(code, kind: str) -> str:
    """{{ score.segment|label:"segment" }}: the code's name in the staff member's language."""
    return name_of(kind, code)
