from django.contrib import admin
from django.db.models import Q

from patron.core.admin_tools import EstimatedCountPaginator
from patron.customers.models import ConsentEvent, Customer, Erasure, Interaction


class LanguageFilter(admin.SimpleListFilter):
    """Fixed choices: a DISTINCT over a million rows per page view is not worth it."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        from django.conf import settings

        return settings.LANGUAGES

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


class ConsentInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    readonly_fields = ("channel", "granted", "source", "recorded_at", "note")
    ordering = ("-recorded_at",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "first_name", "last_name", "email", "language", "country", "email_consent", "created_at")
    list_filter = (LanguageFilter, "email_consent", "sms_consent")
    search_fields = ("external_id",)  # searched through indexes only, see get_search_results
    search_help_text = "Exact external id or email, or the start of a last name"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-id",)
    readonly_fields = ("email_consent", "sms_consent", "erased_at", "updated_at")
    inlines = [ConsentInline]

    def get_search_results(self, request, queryset, search_term):
        # Django's own search is case-insensitive, which no index serves at a million rows: an email is
        # matched as stored (lower case), an external id exactly, and a last name by a range on its index.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(email=term.lower()), False
        match = Q(external_id=term)
        for prefix in {term, term[:1].upper() + term[1:]}:
            match |= Q(last_name__gte=prefix, last_name__lt=prefix + "\U0010ffff")
        return queryset.filter(match), False

    def save_model(self, request, obj, form, change):
        # Edits go through the service so the same rules hold as for the API and the import.
        from patron.customers import services

        fields = {f: form.cleaned_data.get(f) for f in services.PROFILE_FIELDS if f in form.changed_data}
        if change:
            updated, _ = services.upsert_customer(obj.external_id, consent_source=ConsentEvent.Source.STAFF, **fields)
            obj.pk = updated.pk
        else:
            created, _ = services.upsert_customer(
                obj.external_id, consent_source=ConsentEvent.Source.STAFF, created_at=obj.created_at, **fields
            )
            obj.pk = created.pk


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "channel", "occurred_at")
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ("erased_at", "subject_digest", "requested_by", "reason")
    readonly_fields = ("customer", "subject_digest", "erased_at", "requested_by", "reason")

    def has_add_permission(self, request):
        return False
