from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When

from patron.core.admin_tools import EstimatedCountPaginator
from patron.core.errors import PatronError
from patron.service import services
from patron.service.models import PRIORITY_ORDER, SlaPolicy, Ticket, TicketEvent


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = "__all__"

    def clean(self):
        data = super().clean()
        try:
            services.check_policy(SlaPolicy(**data))
        except PatronError as exc:
            raise ValidationError(exc.message) from None
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = ("name", "timezone", "is_default", "escalate_at")


class EventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("at", "kind", "author", "body", "payload")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AgentForm(forms.ModelForm):
    """What an agent does on a ticket, each through the service desk's services."""

    reply = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="sent to the customer")
    wait_for_customer = forms.BooleanField(required=False, help_text="the reply asks the customer something: pause the SLA clock")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="internal, never sent")
    change_status = forms.ChoiceField(required=False, choices=[("", "(as it is)"), (Ticket.Status.OPEN, "Open"),
                                                               (Ticket.Status.WAITING, "Waiting on the customer"),
                                                               (Ticket.Status.CLOSED, "Closed")])
    resolve = forms.BooleanField(required=False)
    gesture_points = forms.IntegerField(required=False, min_value=1, help_text="on resolving a complaint: goodwill points")
    gesture_reward = forms.IntegerField(required=False, min_value=1, help_text="or the id of a reward to give as an apology coupon")

    class Meta:
        model = Ticket
        fields = ("priority", "assigned_to")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ("id", "subject", "customer", "kind", "status", "priority", "priority_reason", "sla", "escalated_at",
                    "assigned_to", "created_at")
    list_filter = ("status", "priority", "kind", "channel")
    list_select_related = ("customer", "policy", "assigned_to")
    search_fields = ("=customer__external_id", "=requester_email")
    readonly_fields = ("customer", "requester_email", "subject", "kind", "channel", "status", "priority_reason", "created_at",
                       "first_response_due", "first_response_at", "resolution_due", "resolved_at", "paused_minutes",
                       "escalated_at", "breached_at", "sla")
    inlines = [EventInline]
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        # The queue: escalated first, then by priority, then by the nearest due time.
        rank = Case(*[When(priority=p, then=Value(i)) for i, p in enumerate(PRIORITY_ORDER)], output_field=IntegerField())
        return super().get_queryset(request).annotate(rank=rank).order_by("escalated_at", "-rank", "resolution_due")

    def has_add_permission(self, request):
        return False  # tickets come from customers (API, email); agents answer them here

    @admin.display(description="SLA")
    def sla(self, obj: Ticket) -> str:
        state = services.sla_state(obj)
        if not state.get("target"):
            return "-"
        left = state["minutes_left"]
        what = state["target"].replace("_", " ")
        paused = " (paused)" if state["paused"] else ""
        return f"{what}: {'breached by' if left < 0 else 'due in'} {abs(left) / 60:.1f} business h{paused}"

    def save_model(self, request, obj, form, change):
        by = request.user.get_username()
        data = form.cleaned_data
        try:
            if "priority" in form.changed_data:
                services.set_priority(obj, data["priority"], by=by)
            if "assigned_to" in form.changed_data:
                services.assign(obj, data["assigned_to"], by=by)
            if data.get("note"):
                services.add_note(obj, data["note"], by=by)
            if data.get("reply"):
                services.reply(obj, data["reply"], by=by, wait_for_customer=data.get("wait_for_customer", False))
            if data.get("change_status"):
                services.set_status(obj, data["change_status"], by=by)
            if data.get("resolve"):
                gesture = {"points": data["gesture_points"]} if data.get("gesture_points") else (
                    {"reward": data["gesture_reward"]} if data.get("gesture_reward") else None)
                services.resolve(obj, by=by, gesture=gesture)
        except PatronError as exc:
            self.message_user(request, exc.message, messages.ERROR)
