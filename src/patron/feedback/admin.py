from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from patron.core.admin_tools import ByCustomerSearch, EstimatedCountPaginator
from patron.core.errors import PatronError
from patron.feedback import queries, services
from patron.feedback.models import Idea, Response


@admin.register(Response)
class ResponseAdmin(ByCustomerSearch, admin.ModelAdmin):
    list_display = ("answered_at", "customer", "kind", "score", "short_comment", "language", "source", "idea")
    list_filter = ("kind", "source", "language")
    list_select_related = ("customer", "idea")
    raw_id_fields = ("customer", "idea")
    readonly_fields = ("customer", "kind", "score", "comment", "language", "ref", "source", "answered_at", "updated_at")
    fields = ("customer", "kind", "score", "comment", "language", "source", "answered_at", "updated_at", "ref", "idea")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["make_idea"]

    def has_add_permission(self, request):
        return False  # answers come from customers (survey pages, imports), not from staff

    def has_add_idea_permission(self, request) -> bool:
        return request.user.has_perm(f"{Idea._meta.app_label}.add_idea")

    @admin.display(description="comment")
    def short_comment(self, obj: Response) -> str:
        return obj.comment[:80] + ("…" if len(obj.comment) > 80 else "")

    @admin.action(description="Make one idea of the selected comments (titled by the first)", permissions=["add_idea"])
    def make_idea(self, request, queryset):
        chosen = list(queryset.exclude(comment="").order_by("answered_at"))
        if not chosen:
            self.message_user(request, "choose answers with a comment", messages.ERROR)
            return
        idea = services.create_idea(chosen[0].comment[:200], responses=chosen, by=request.user.get_username())
        self.message_user(request, f"idea {idea.pk} made from {len(chosen)} comment(s); edit its title in Ideas")


class LinkedInline(admin.TabularInline):
    model = Response
    fields = ("answered_at", "customer", "kind", "score", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "created_at", "implemented_at")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = ("implemented_at", "created_at", "created_by", "similar")
    fields = ("title", "status", "created_by", "created_at", "implemented_at", "similar")
    inlines = [LinkedInline]
    actions = ["implement"]

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data and obj.status == Idea.Status.IMPLEMENTED and change:
            # Closing the loop goes through the service, which tells everyone who asked.
            obj.status = form.initial.get("status", Idea.Status.OPEN)
            super().save_model(request, obj, form, change)
            told = services.implement_idea(obj)
            self.message_user(request, f"marked implemented: {told} customer(s) will be told")
            return
        super().save_model(request, obj, form, change)

    @admin.display(description="comments like these, not linked yet (link them from the answer's page)")
    def similar(self, obj: Idea) -> str:
        if not obj.pk:
            return ""
        found = queries.similar_comments(obj)
        if not found:
            return "none found"
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li><a href="../../../response/{}/change/">#{}</a> ({:.2f}) {}</li>',
            ((r.pk, r.pk, score, r.comment[:120]) for r, score in found)))

    @admin.action(description="Mark implemented and tell everyone who asked", permissions=["change"])
    def implement(self, request, queryset):
        for idea in queryset:
            try:
                told = services.implement_idea(idea)
                self.message_user(request, f"{idea.title}: {told} customer(s) will be told")
            except PatronError as exc:
                self.message_user(request, f"{idea.title}: {exc.message}", messages.WARNING)
