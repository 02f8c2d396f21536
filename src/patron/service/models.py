"""Tickets, what happened on them, and the SLA policies their clocks follow."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models import Q
from django.utils.timezone import now

from patron.customers.models import Customer


def default_hours() -> dict:
    return {str(d): [["09:00", "17:00"]] for d in range(1, 6)}


def default_first_response() -> dict:
    return {"urgent": 60, "high": 240, "normal": 480, "low": 960}


def default_resolution() -> dict:
    return {"urgent": 480, "high": 960, "normal": 2400, "low": 4800}


class SlaPolicy(models.Model):
    """Targets in business minutes per priority, on the team's opening hours, holidays and time zone."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC", help_text=_("the team's IANA time zone, e.g. Europe/Riga"))
    hours = models.JSONField(_("hours"), default=default_hours, help_text=_('open hours per ISO weekday: {"1": [["09:00", "17:00"]], ...}'))
    holidays = models.JSONField(_("holidays"), default=list, blank=True, help_text=_('dates the team is closed: ["2026-06-24", ...]'))
    holiday_country = models.CharField(_("holiday country"), max_length=2, blank=True,
                                       help_text=_("ISO 3166 code: the team is also closed on this country's public holidays, e.g. LV"))
    first_response_minutes = models.JSONField(_("first response minutes"), default=default_first_response, help_text=_("business minutes per priority"))
    resolution_minutes = models.JSONField(_("resolution minutes"), default=default_resolution, help_text=_("business minutes per priority"))
    escalate_at = models.DecimalField(_("escalate at"), max_digits=3, decimal_places=2, default=Decimal("0.80"),
                                      help_text=_("escalate when this share of a target's time is used"))
    is_default = models.BooleanField(_("is default"), default=False)

    class Meta:
        verbose_name, verbose_name_plural = _("SLA policy"), _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_sla")]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting on the customer (the SLA clock is paused)")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        COMPLAINT = "complaint", _("Complaint")
        REQUEST = "request", _("Request")
        SUGGESTION = "suggestion", _("Suggestion")

    class Channel(models.TextChoices):
        API = "api", _("API")
        DASHBOARD = "dashboard", _("Dashboard")
        EMAIL = "email", _("Email")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="tickets", verbose_name=_("customer"))
    requester_email = models.EmailField(_("requester email"), blank=True)  # who wrote, when not (yet) a known customer
    subject = models.CharField(_("subject"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    priority_reason = models.CharField(_("priority reason"), max_length=200, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("assigned to"))
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("policy"))
    external_ref = models.CharField(_("external ref"), max_length=100, blank=True)  # the caller's id for the ticket (idempotent creation)
    created_at = models.DateTimeField(_("created at"), default=now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    paused_minutes = models.FloatField(_("paused minutes"), default=0)  # business minutes spent waiting on the customer
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("ticket"), _("tickets")
        constraints = [models.UniqueConstraint(fields=["external_ref"], condition=~Q(external_ref=""), name="ticket_external_ref")]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="ticket_queue"),
            models.Index(fields=["customer", "created_at"], name="ticket_customer"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.OPEN, self.Status.WAITING)


class TicketEvent(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Message from the customer"
        REPLY = "reply", "Reply to the customer"
        NOTE = "note", "Internal note"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        ASSIGNED = "assigned", "Assigned"
        ESCALATED = "escalated", "Escalated"
        BREACHED = "breached", "SLA breached"
        GESTURE = "gesture", "Recovery gesture"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = models.CharField(max_length=150, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=now)
    message_id = models.CharField(max_length=250, blank=True)  # an inbound email's Message-ID: never appended twice

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["message_id"], condition=~Q(message_id=""), name="ticket_event_message_once")]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_time")]
