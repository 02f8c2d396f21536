from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models.functions import Upper
from django.utils.timezone import now


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class Customer(models.Model):
    """A person who buys. Personal fields are blanked on erasure; the row stays for order facts."""

    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)  # stored lower-case
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True, help_text=_("BCP 47, e.g. lt or en-GB"))
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2"))
    timezone = models.CharField(_("timezone"), max_length=64, blank=True, help_text=_("IANA, e.g. Europe/Vilnius"))
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, db_index=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Current consent per channel (None: never asked); the history is in ConsentEvent.
    email_consent = models.BooleanField(_("email consent"), null=True, blank=True)
    sms_consent = models.BooleanField(_("sms consent"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name, verbose_name_plural = _("customer"), _("customers")
        indexes = [models.Index(fields=["last_name"], name="customer_last_name"),
                   # The dashboard's search by name, whatever the letters' case (Upper is what iexact compares).
                   models.Index(Upper("last_name"), name="customer_last_name_upper"),
                   models.Index(Upper("first_name"), name="customer_first_name_upper")]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.external_id})" if name else self.external_id

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def consent_for(self, channel: str) -> bool | None:
        return {Channel.EMAIL: self.email_consent, Channel.SMS: self.sms_consent}[channel]


class ConsentEvent(models.Model):
    """One grant or withdrawal of consent: append-only, the proof of what the customer said."""

    class Source(models.TextChoices):
        IMPORT = "import", "Import"
        API = "api", "API"
        PORTAL = "portal", "Member portal"
        STAFF = "staff", "Staff"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe link"
        PREFERENCES = "preferences", "Preference centre"
        ERASURE = "erasure", "Erasure"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=16, choices=Source.choices)
    recorded_at = models.DateTimeField(default=now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "recorded_at"], name="consent_customer_time")]


class Interaction(models.Model):
    """Something that happened between the shop and the customer, on the timeline.

    Orders, refunds and consent already are records of their own; the timeline joins them in
    (queries.timeline) instead of copying them here.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=now)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("interaction"), _("interactions")
        indexes = [models.Index(fields=["customer", "occurred_at"], name="interaction_customer_time")]


class Erasure(models.Model):
    """The record that a customer's personal data was erased, kept after the data is gone."""

    customer = models.OneToOneField(Customer, on_delete=models.SET_NULL, null=True, related_name="erasure", verbose_name=_("customer"))
    # HMAC of the former external id: lets the shop prove an erasure happened without keeping the id.
    subject_digest = models.CharField(_("subject digest"), max_length=64, db_index=True)
    erased_at = models.DateTimeField(_("erased at"), default=now)
    requested_by = models.CharField(_("requested by"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("erasure"), _("erasures")


class Tag(models.Model):
    """A label on a customer (set by staff or by a journey's tag action); segments can select on it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tags", db_index=False)
    name = models.CharField(max_length=60)
    tagged_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="tag_once")]
        indexes = [models.Index(fields=["name"], name="tag_name")]

    def __str__(self) -> str:
        return self.name
