"""Survey answers (NPS and CSAT) and the ideas customers suggest.

An answer belongs to what was asked (`ref`): the message that carried the survey ("m:<id>"), a
survey link made for the customer by staff ("l:<nonce>") or shown in the portal ("p:<nonce>"), both
recorded as an Ask, or a line of imported history. A customer answers each once; answering again
updates the answer, and only the first answer to an ask Patron made earns the feedback bonus.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models import Q
from django.utils.timezone import now

from patron.customers.models import Customer

NPS_SCALE = (0, 10)
CSAT_SCALE = (1, 5)


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0-10: how likely to recommend)"
    CSAT = "csat", "CSAT (1-5: how satisfied)"


class Idea(models.Model):
    """Something customers asked for; when it ships, everyone who asked is told."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PLANNED = "planned", _("Planned")
        IMPLEMENTED = "implemented", _("Implemented")
        DECLINED = "declined", _("Declined")

    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=now)
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    def __str__(self) -> str:
        return self.title

    class Meta:
        verbose_name, verbose_name_plural = _("idea"), _("ideas")


class Response(models.Model):
    class Source(models.TextChoices):
        EMAIL = "email", _("A survey email (one click)")
        LINK = "link", _("A survey link")
        IMPORT = "import", _("Imported history")
        API = "api", _("The API")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_responses", db_index=False, verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)  # the customer's language when they answered
    ref = models.CharField(_("ref"), max_length=80)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    answered_at = models.DateTimeField(_("answered at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), default=now)
    idea = models.ForeignKey(Idea, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses", verbose_name=_("idea"))

    class Meta:
        verbose_name, verbose_name_plural = _("response"), _("responses")
        constraints = [
            models.UniqueConstraint(fields=["customer", "ref"], name="response_once_per_ask"),
            models.CheckConstraint(
                condition=(Q(kind="nps", score__lte=NPS_SCALE[1])
                           | Q(kind="csat", score__gte=CSAT_SCALE[0], score__lte=CSAT_SCALE[1])),
                name="response_score_on_scale"),
        ]
        indexes = [
            models.Index(fields=["answered_at"], name="response_time"),
            models.Index(fields=["customer", "kind", "answered_at"], name="response_customer_kind"),
        ]

    @property
    def is_detractor(self) -> bool:
        return self.kind == SurveyKind.NPS and self.score <= 6

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"


class Ask(models.Model):
    """A survey link Patron made for one customer outside a message: by staff, or in the portal, which
    shows the same open ask until it is answered or too old, however often the page is opened."""

    class Origin(models.TextChoices):
        STAFF = "staff", "Made by staff"
        PORTAL = "portal", "The customer's portal"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_asks", db_index=False)
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    ref = models.CharField(max_length=80)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "ref"], name="ask_ref_once_per_customer")]

    def __str__(self) -> str:
        return f"{self.kind} ask {self.ref}"
