from django.contrib import admin, messages
from django.utils.html import format_html

from patron.campaigns import reports, services
from patron.campaigns.models import Enrollment, Journey, Step, Task
from patron.core.admin_tools import ByCustomerSearch, ReadOnlyAdmin, translated_form
from patron.core.errors import PatronError


def _column(name: str):
    """A list column showing the count annotated as n_<name>, sortable."""
    @admin.display(description=name.replace("_", " "), ordering=f"n_{name}")
    def show(self, obj):
        return getattr(obj, f"n_{name}") or 0
    return show


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("position", "action", "config")


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    form = translated_form(Journey, "names", "descriptions")
    list_display = ("name", "key", "trigger", "enabled", "holdout_share", "entered", "held_out", "converted", "sent",
                    "suppressed")
    list_filter = ("enabled", "trigger", "builtin")
    readonly_fields = ("builtin", "enabled", "enabled_at", "last_run_at", "salt", "measured_uplift")
    inlines = [StepInline]
    actions = ["enable_journeys", "disable_journeys"]

    def get_queryset(self, request):
        return services.with_counts(super().get_queryset(request))

    entered, held_out, converted, sent, suppressed = (
        _column(name) for name in ("entered", "held_out", "converted", "sent", "suppressed"))

    @admin.display(description="measured uplift (treated against held out)")
    def measured_uplift(self, obj: Journey) -> str:
        if not obj.pk:
            return "-"
        return format_html("<pre>{}</pre>", reports.as_text(reports.uplift(obj)))

    def changelist_view(self, request, extra_context=None):
        services.ensure_builtin()
        return super().changelist_view(request, extra_context)

    @admin.action(description="Enable the selected journeys", permissions=["change"])
    def enable_journeys(self, request, queryset):
        for journey in queryset:
            try:
                services.enable(journey.key, actor=request.user)
            except PatronError as exc:
                self.message_user(request, f"{journey.key}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{journey.key}: enabled", messages.SUCCESS)

    @admin.action(description="Disable the selected journeys", permissions=["change"])
    def disable_journeys(self, request, queryset):
        for journey in queryset:
            services.disable(journey.key, actor=request.user)
        self.message_user(request, f"disabled {queryset.count()}", messages.SUCCESS)


@admin.register(Enrollment)
class EnrollmentAdmin(ByCustomerSearch, ReadOnlyAdmin):
    list_display = ("entered_at", "journey", "customer", "arm", "position", "due_at", "finished_at")
    list_filter = ("journey", "arm")
    list_select_related = ("journey", "customer")
    ordering = ("-id",)


@admin.register(Task)
class TaskAdmin(ByCustomerSearch, admin.ModelAdmin):
    """Work for people that journeys create: call a detractor back."""

    list_display = ("created_at", "title", "customer", "journey", "assigned_to", "done_at")
    list_filter = ("journey", ("done_at", admin.EmptyFieldListFilter))
    list_select_related = ("customer", "journey", "assigned_to")
    raw_id_fields = ("customer", "enrollment")
    readonly_fields = ("journey", "created_at")
    ordering = ("done_at", "-id")
