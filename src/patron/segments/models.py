"""Saved segments: rules as JSON (compiled to parameterised SQL by segments.rules), their members and changes."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.errors import InvalidSegment
from patron.core.names import Named
from patron.customers.models import Customer


class Segment(Named, models.Model):
    name = models.SlugField(_("name"), max_length=60, unique=True)
    # How staff pages name it in each language ({"lt": "Prarasti VIP"}); the slug where a language has none.
    names = models.JSONField(_("names"), default=dict, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    rules = models.JSONField(_("rules"), help_text=_('e.g. {"all": [{"field": "language", "op": "in", "value": ["lv"]}, '
                                        '{"field": "days_since_last_order", "op": "gt", "value": 90}]}'))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from patron.segments.rules import compile_rules  # rules.py reads the models: a cycle at the top

        try:
            compile_rules(self.rules)
        except InvalidSegment as exc:
            raise ValidationError({"rules": exc.message}) from None

    class Meta:
        verbose_name, verbose_name_plural = _("segment"), _("segments")


class SegmentMember(models.Model):
    """Who was in the segment at its last refresh."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_once")]
        indexes = [models.Index(fields=["customer"], name="segment_member_customer")]


class SegmentChange(models.Model):
    """A customer entering or leaving a segment: what the 'segment entered/left' journeys start on."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("segment"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("customer"))
    entered = models.BooleanField(_("entered"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name, verbose_name_plural = _("segment change"), _("segment changes")
        indexes = [models.Index(fields=["segment", "at"], name="segment_change_time")]
