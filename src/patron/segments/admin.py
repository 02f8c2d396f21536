import json

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone

from patron.core.admin_tools import ByCustomerSearch, ReadOnlyAdmin, translated_form
from patron.core.errors import InvalidSegment
from patron.segments import services
from patron.segments.models import Segment, SegmentChange
from patron.segments.rules import FIELDS


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = translated_form(Segment)
    list_display = ("name", "description", "refreshed_at", "updated_at")
    search_fields = ("name",)
    readonly_fields = ("customers_now", "refreshed_at")
    change_form_template = "admin/segments/segment/change_form.html"

    @admin.display(description="customers now")
    def customers_now(self, obj: Segment) -> str:
        if not obj.pk:
            return "-"
        try:
            return f"{services.count(obj.rules):,}"
        except InvalidSegment as exc:
            return f"invalid rules: {exc.message}"

    def get_urls(self):
        count = path("count/", self.admin_site.admin_view(self.count_view), name="segments_segment_count")
        return [count, *super().get_urls()]

    def count_view(self, request: HttpRequest) -> JsonResponse:
        """The live count while rules are edited: {"count": n} or {"error": ..., "path": ...}."""
        if request.method != "POST":
            return JsonResponse({"error": "POST the rules as JSON"}, status=405)
        try:
            rules = json.loads(request.body or b"null")
        except ValueError as exc:
            return JsonResponse({"error": f"not JSON: {exc}", "path": "rules"}, status=400)
        try:
            return JsonResponse({"count": services.count(rules, timezone.now())})
        except InvalidSegment as exc:
            return JsonResponse({"error": exc.message, "path": exc.details.get("path", "rules")}, status=400)

    def render_change_form(self, request, context, *args, **kwargs):
        context["segment_fields"] = sorted((name, field.kind, field.help) for name, field in FIELDS.items())
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(SegmentChange)
class SegmentChangeAdmin(ByCustomerSearch, ReadOnlyAdmin):
    list_display = ("at", "segment", "customer", "entered")
    list_filter = ("segment", "entered")
    list_select_related = ("segment", "customer")
    ordering = ("-id",)
