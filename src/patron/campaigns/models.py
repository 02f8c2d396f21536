"""Journeys: a trigger, an optional segment condition, and steps run set-wise for everyone due."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.names import Named
from patron.customers.models import Customer


def new_salt() -> int:
    return secrets.randbits(31)


class Trigger(models.TextChoices):
    SIGNED_UP = "signed_up", "Customer created"
    FIRST_ORDER = "first_order", "First order"
    ORDER = "order", "Any completed order"
    TIER_UPGRADE = "tier_upgrade", "Tier upgrade"
    POINTS_EXPIRING = "points_expiring", "Points about to expire"
    LAPSED = "lapsed", "Lapsed against their own rhythm"
    INTERACTION = "interaction", "An event on the timeline (ticket resolved, NPS detractor, idea shipped...)"
    SEGMENT_ENTERED = "segment_entered", "Entered a segment"
    SEGMENT_LEFT = "segment_left", "Left a segment"
    BIRTHDAY = "birthday", "Birthday"
    NAME_DAY = "name_day", "Name day (lv, lt, et calendars)"
    PUBLIC_HOLIDAY = "public_holiday", "A public holiday of the customer's country"
    ANNIVERSARY = "anniversary", "Anniversary of the first order"
    SCHEDULE = "schedule", "A schedule (newsletter)"


class Journey(Named, models.Model):
    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The name in other languages ({"lt": "Sugrąžinimas"}): the built-in journeys' own, dropped when the shop renames.
    names = models.JSONField(_("names"), default=dict, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)  # the description in other languages, as `names`
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_config = models.JSONField(_("trigger config"), default=dict, blank=True)
    segment = models.ForeignKey("segments.Segment", on_delete=models.PROTECT, null=True, blank=True,
                                help_text=_("only customers in this segment enter (the rules are evaluated at entry)"), verbose_name=_("segment"))
    # Who may enter, as segment rules of its own (segments.rules), checked at entry besides the segment.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=False)
    enabled_at = models.DateTimeField(_("enabled at"), null=True, blank=True)  # events before this never start the journey
    # Paused: on, but nobody enters, no step moves and its queued messages are held until it resumes.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    builtin = models.BooleanField(_("builtin"), default=False)
    holdout_share = models.DecimalField(_("holdout share"), max_digits=4, decimal_places=3, default=Decimal("0.100"),
                                        help_text=_("share of entrants held out at random as the control group"))
    conversion_days = models.PositiveIntegerField(_("conversion days"), default=14, help_text=_("an order within this many days of entry is a conversion"))
    # Variants (a send step's other messages, a coupon step's other rewards): the winner is the variant every treated
    # entrant gets once chosen, by a person or automatically (auto_winner) when the pooled model says it is better with
    # at least winner_probability, each variant having at least winner_minimum recipients.
    auto_winner = models.BooleanField(_("choose the winner automatically"), default=False)
    winner_probability = models.DecimalField(_("winner's probability"), max_digits=4, decimal_places=3, default=Decimal("0.950"))
    winner_minimum = models.PositiveIntegerField(_("recipients per variant before a winner"), default=200)
    winner = models.PositiveSmallIntegerField(_("winning variant"), null=True, blank=True)
    winner_at = models.DateTimeField(_("winner chosen at"), null=True, blank=True)
    # Decides who is held out; fixed per journey so the split is random across customers yet repeatable.
    salt = models.BigIntegerField(_("salt"), default=new_salt)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    # Why the last run of the journey failed (blank when it ran); the journeys page shows it.
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    class Meta:
        verbose_name, verbose_name_plural = _("journey"), _("journeys")


class Step(models.Model):
    class Action(models.TextChoices):
        WAIT = "wait", "Wait (days)"
        SEND = "send", "Send a message"
        GRANT_POINTS = "grant_points", "Grant points"
        COUPON = "coupon", "Issue a coupon (a gift reward)"
        TASK = "task", "Create a task for staff"
        TAG = "tag", "Tag the customer"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=14, choices=Action.choices)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["journey", "position"]
        constraints = [models.UniqueConstraint(fields=["journey", "position"], name="step_position_once")]

    def __str__(self) -> str:
        return f"{self.journey.key} #{self.position}: {self.action}"


class Enrollment(models.Model):
    """One customer in one journey for one trigger (an order, a year's birthday): never twice."""

    class Arm(models.TextChoices):
        TREATED = "treated", _("Treated")
        HOLDOUT = "holdout", _("Held out (control)")

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("journey"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="enrollments", db_index=False, verbose_name=_("customer"))
    trigger_key = models.CharField(_("trigger key"), max_length=64)
    arm = models.CharField(_("arm"), max_length=8, choices=Arm.choices)
    variant = models.PositiveSmallIntegerField(_("variant"), null=True, blank=True)  # 0 for A, 1 for B...; none when held out
    entered_at = models.DateTimeField(_("entered at"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)  # the next step to run
    due_at = models.DateTimeField(_("due at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)  # what the trigger and the steps know (order, coupon...)

    class Meta:
        verbose_name, verbose_name_plural = _("enrollment"), _("enrollments")
        constraints = [models.UniqueConstraint(fields=["journey", "customer", "trigger_key"], name="enrollment_once")]
        indexes = [
            models.Index(fields=["journey", "position", "due_at"], name="enrollment_due",
                         condition=models.Q(finished_at__isnull=True)),
            models.Index(fields=["customer"], name="enrollment_customer"),
        ]


class Skipped(models.Model):
    """An occasion that was already there when the journey was switched on "from now on" (a customer lapsed
    already, a birthday that is today): it never enters, so switching on sends nothing to a backlog."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="skipped")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    trigger_key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "customer", "trigger_key"], name="skipped_once")]
        indexes = [models.Index(fields=["customer"], name="skipped_customer")]


class Task(models.Model):
    """Something a person should do for a customer (call a detractor back), created by a journey."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("customer"))
    journey = models.ForeignKey(Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("journey"))
    enrollment = models.ForeignKey(Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("enrollment"))
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("assigned to"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    def __str__(self) -> str:
        return self.title

    class Meta:
        verbose_name, verbose_name_plural = _("task"), _("tasks")
