"""Admin list pages that stay fast at a million rows: no COUNT(*) over whole tables."""

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from patron.core.catalogs import LANGUAGES

TRANSLATED = {"names": _("Name"), "descriptions": _("Description")}
INDEX_TITLE = _("Customers, orders and loyalty")


class EstimatedCountPaginator(Paginator):
    """Counts filtered lists exactly, capped; an unfiltered list takes the planner's estimate.

    A COUNT(*) over a million customers on every page view is what makes a stock admin crawl.
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        if not query.where:
            estimate = table_estimate(self.object_list.model._meta.db_table)
            if estimate is not None and estimate > self.cap:
                return estimate
        # Count at most cap+1 rows: "10,001" says "many" without reading them all.
        return self.object_list[: self.cap + 1].count()


def table_estimate(table: str) -> int | None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
            return int(row[0]) if row and row[0] >= 0 else None
        if connection.vendor == "sqlite":
            # Ids are never reused, so the largest one bounds the count from above at no cost.
            cursor.execute(f'SELECT MAX(rowid) FROM "{table}"')  # noqa: S608 - table name from model meta
            row = cursor.fetchone()
            return int(row[0] or 0)
    return None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services alone (the ledger, the outbox, enrollments): the admin reads them."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ByCustomerSearch:
    """Search a list by the customer's exact external id, through its unique index (Django's own
    search is case-insensitive, which no index serves at a million rows)."""

    search_fields = ("customer__external_id",)
    search_help_text = "Exact customer external id"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(customer__external_id=term) if term else queryset), False


class TranslatedForm(forms.ModelForm):
    """An admin form where a map of translations ({"lv": "…"}) is a text field per language, not JSON: each map in
    `translated` ("names", "descriptions") is shown as `<map>_<language>` fields and written back as the map of the
    filled ones."""

    translated: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.translated:
            for language, text in (getattr(self.instance, field, None) or {}).items():
                if f"{field}_{language}" in self.fields:
                    self.initial.setdefault(f"{field}_{language}", text)

    def _post_clean(self):
        for field in self.translated:
            setattr(self.instance, field, {language: text.strip() for language in LANGUAGES
                                           if (text := self.cleaned_data.get(f"{field}_{language}") or "").strip()})
        super()._post_clean()


def translated_form(model, *maps: str) -> type[TranslatedForm]:
    """TranslatedForm for `model`, with `maps` (default: "names") as a field per language instead of JSON."""
    maps = maps or ("names",)
    fields = {f"{field}_{language}": forms.CharField(
        label=format_lazy(_("{what} in {language}"), what=TRANSLATED.get(field, field), language=language.upper()),
        required=False, max_length=500) for field in maps for language in LANGUAGES}
    meta = type("Meta", (), {"model": model, "exclude": maps})
    return type(f"{model.__name__}TranslatedForm", (TranslatedForm,), {"translated": maps, "Meta": meta, **fields})
