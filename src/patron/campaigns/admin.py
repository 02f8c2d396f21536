from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils.html import format_html

from patron.campaigns import reports, services
from patron.campaigns.models import Enrollment, Journey, Step, Task
from patron.core.admin_tools import EstimatedCountPaginator
from patron.core.errors import PatronError
from patron.messaging.models import Message


def _count(queryset) -> Subquery:
    return Subquery(queryset.values("journey").annotate(n=Count("id")).values("n"), output_field=IntegerField())


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("position", "action", "config")


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "trigger", "enabled", "holdout_share", "entered", "held_out", "converted", "sent",
                    "suppressed")
    list_filter = ("enabled", "trigger", "builtin")
    readonly_fields = ("builtin", "enabled", "enabled_at", "last_run_at", "salt", "measured_uplift")
    inlines = [StepInline]
    actions = ["enable_journeys", "disable_journeys"]

    def get_queryset(self, request):
        enrollments = Enrollment.objects.filter(journey=OuterRef("pk")).order_by()
        outbox = Message.objects.filter(journey=OuterRef("pk")).order_by()
        return super().get_queryset(request).annotate(
            n_entered=_count(enrollments), n_held_out=_count(enrollments.filter(arm=Enrollment.Arm.HOLDOUT)),
            n_sent=_count(outbox.filter(status=Message.Status.SENT)),
            n_suppressed=_count(outbox.filter(status=Message.Status.SUPPRESSED)),
            n_converted=RawSQL(services.converted_sql("campaigns_journey"), [], output_field=IntegerField()))

    @admin.display(description="entered", ordering="n_entered")
    def entered(self, obj):
        return obj.n_entered or 0

    @admin.display(description="held out", ordering="n_held_out")
    def held_out(self, obj):
        return obj.n_held_out or 0

    @admin.display(description="converted", ordering="n_converted")
    def converted(self, obj):
        return obj.n_converted or 0

    @admin.display(description="sent", ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent or 0

    @admin.display(description="suppressed", ordering="n_suppressed")
    def suppressed(self, obj):
        return obj.n_suppressed or 0

    @admin.display(description="measured uplift (treated against held out)")
    def measured_uplift(self, obj: Journey) -> str:
        if not obj.pk:
            return "-"
        return format_html("<pre>{}</pre>", reports.as_text(reports.uplift(obj)))

    def changelist_view(self, request, extra_context=None):
        services.ensure_builtin()
        return super().changelist_view(request, extra_context)

    @admin.action(description="Enable the selected journeys")
    def enable_journeys(self, request, queryset):
        for journey in queryset:
            try:
                services.enable(journey.key)
            except PatronError as exc:
                self.message_user(request, f"{journey.key}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{journey.key}: enabled", messages.SUCCESS)

    @admin.action(description="Disable the selected journeys")
    def disable_journeys(self, request, queryset):
        for journey in queryset:
            services.disable(journey.key)
        self.message_user(request, f"disabled {queryset.count()}", messages.SUCCESS)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("entered_at", "journey", "customer", "arm", "position", "due_at", "finished_at")
    list_filter = ("journey", "arm")
    list_select_related = ("journey", "customer")
    search_fields = ("=customer__external_id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Work for people that journeys create: call a detractor back."""

    list_display = ("created_at", "title", "customer", "journey", "assigned_to", "done_at")
    list_filter = ("journey", ("done_at", admin.EmptyFieldListFilter))
    list_select_related = ("customer", "journey", "assigned_to")
    raw_id_fields = ("customer", "enrollment")
    readonly_fields = ("journey", "created_at")
    search_fields = ("=customer__external_id",)
    ordering = ("done_at", "-id")
