"""The outbox and the templates staff may override.

A Message row is written in the transaction that decides to send it; `patron worker` delivers it
later. Consent, the frequency cap and quiet hours are checked at delivery, so a customer who
unsubscribes after a message was queued never receives it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.customers.models import Customer


class Purpose(models.TextChoices):
    MARKETING = "marketing", "Marketing (needs consent, capped, not in quiet hours)"
    TRANSACTIONAL = "transactional", "Transactional (about the customer's own account, order or request)"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")  # claimed by a worker; back to queued if its lease runs out
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        HELD = "held", _("Held (its journey is paused)")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages", db_index=False, verbose_name=_("customer"))
    journey = models.ForeignKey("campaigns.Journey", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name=_("journey"))
    enrollment = models.ForeignKey("campaigns.Enrollment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="messages", db_index=False, verbose_name=_("enrollment"))
    template = models.CharField(_("template"), max_length=60)
    channel = models.CharField(_("channel"), max_length=8, choices=ChannelKind.choices)
    purpose = models.CharField(_("purpose"), max_length=14, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("reason"), max_length=300, blank=True)  # why suppressed, or the last delivery error
    # The shop links the message carried, in order: /r/<token> names one by its place (messaging.clicks).
    links = models.JSONField(_("links"), null=True, blank=True)  # null: no shop links (or not sent yet)
    # With PATRON_TRACK_OPENS: when the email's image was first loaded, and how often (messaging.clicks).
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    opens = models.PositiveIntegerField(_("opens"), default=0, db_default=0)  # db_default: rows queued by INSERT ... SELECT
    context = models.JSONField(_("context"), default=dict, blank=True)  # what the template needs beyond the customer
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)  # host:pid of the worker sending it
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    language = models.CharField(_("language"), max_length=16, blank=True)  # the language it went out in
    subject = models.CharField(_("subject"), max_length=200, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("message"), _("messages")
        indexes = [
            models.Index(fields=["due_at"], name="message_due", condition=models.Q(status="queued")),
            models.Index(fields=["lease_until"], name="message_leased", condition=models.Q(status="sending")),
            models.Index(fields=["customer", "claimed_at"], name="message_customer_claimed"),
            models.Index(fields=["journey", "status"], name="message_journey_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template} → {self.customer_id} ({self.get_status_display()})"


class MessageTemplate(models.Model):
    """A staff edit of a message in one language; it takes the place of the built-in text of that key."""

    key = models.SlugField(_("key"), max_length=60)
    language = models.CharField(_("language"), max_length=16)
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("email only; Django template syntax"))
    # What the inbox shows beside the subject (email only); blank: the opening of the text after its greeting.
    preheader = models.CharField(_("preheader"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"), help_text=_("plain text; paragraphs separated by a blank line; Django template syntax"))
    sms = models.CharField(_("sms"), max_length=480, blank=True, help_text=_("the SMS version (blank: this message is not sent by SMS)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name, verbose_name_plural = _("message template"), _("message templates")
        constraints = [models.UniqueConstraint(fields=["key", "language"], name="template_once_per_language")]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class Brand(models.Model):
    """The shop's look in its emails, set on the Brand page; a blank field keeps the setting's value
    (PATRON_BRAND_*, PATRON_SHOP_ADDRESS, PATRON_SHOP_URL, PATRON_REPLY_TO). One row."""

    logo_url = models.URLField(max_length=500, blank=True)
    colour = models.CharField(max_length=7, blank=True)
    background = models.CharField(max_length=7, blank=True)
    fonts = models.CharField(max_length=200, blank=True)
    shop_address = models.CharField(max_length=300, blank=True)
    shop_url = models.URLField(max_length=500, blank=True)
    reply_to = models.EmailField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class Suppression(models.Model):
    """An address no message goes to again on its channel: a hard bounce (the mail server answered 5xx for it) or a
    spam complaint. Kept by address, not by customer: a second customer with the same address is not mailed either."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")

    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("message"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name, verbose_name_plural = _("suppressed address"), _("suppressed addresses")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="one_suppression_per_address")]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"


class Click(models.Model):
    """A customer followed a link of a message (through /r/<token>): once per message and link, the first time, with
    how often since."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="clicks", verbose_name=_("message"))
    link = models.PositiveSmallIntegerField(_("link"))  # its place in the message's links
    first_at = models.DateTimeField(_("first clicked at"))
    count = models.PositiveIntegerField(_("clicks"), default=1)

    class Meta:
        verbose_name, verbose_name_plural = _("click"), _("clicks")
        constraints = [models.UniqueConstraint(fields=["message", "link"], name="one_click_per_message_link")]
        indexes = [models.Index(fields=["first_at"], name="click_time")]
