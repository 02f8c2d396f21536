"""Mail providers' event webhooks, through django-anymail's tracking views (each provider's own payload and
signature): a hard bounce or a spam complaint suppresses the address (messaging.suppressions). Served at
/mail/events/<provider>/ for Brevo, Mailgun, Amazon SES (through SNS) and Postmark. They answer only once
PATRON_MAIL_WEBHOOK_SECRET is set (the "user:password" the provider sends with each call); Mailgun's calls must also
carry its signature (PATRON_MAILGUN_WEBHOOK_SIGNING_KEY). A call with a wrong secret or signature is refused and
changes nothing."""

from __future__ import annotations

import functools

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from patron.messaging import suppressions
from patron.messaging.models import ChannelKind, Message, Suppression
from patron.messaging.render import message_pk

PROVIDERS = {
    "brevo": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
    "mailgun": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
    "amazon_ses": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
    "postmark": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
}
SUPPRESSING = {"bounced": Suppression.Reason.BOUNCE, "complained": Suppression.Reason.COMPLAINT}


@functools.cache
def _view(provider: str):
    from django.utils.module_loading import import_string

    return import_string(PROVIDERS[provider]).as_view()


@csrf_exempt
def events(request: HttpRequest, provider: str):
    if provider not in PROVIDERS:
        return JsonResponse({"error": f"no mail provider {provider!r}; one of {', '.join(PROVIDERS)}"}, status=404)
    if not settings.PATRON_MAIL_WEBHOOK_SECRET:
        return JsonResponse({"error": "the mail providers' webhooks are off: set PATRON_MAIL_WEBHOOK_SECRET"}, status=404)
    if provider == "mailgun" and not settings.PATRON_MAILGUN_WEBHOOK_SIGNING_KEY:
        return JsonResponse({"error": "Mailgun's webhook is off: set PATRON_MAILGUN_WEBHOOK_SIGNING_KEY"}, status=404)
    try:
        return _view(provider)(request)
    except AnymailWebhookValidationFailure:
        return JsonResponse({"error": f"refused: the call's secret or {provider}'s signature is wrong"}, status=403)


def _permanent(esp_name: str, event: AnymailTrackingEvent) -> bool:
    """Whether a bounce is for good. Anymail calls soft bounces "bounced" too for Brevo, Postmark and Amazon SES (a
    full mailbox, a server down for a while): those are told apart by the provider's own field; Mailgun's temporary
    failures already arrive as "deferred"."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    name = esp_name.lower()
    if name == "postmark":
        return raw.get("Type") in ("HardBounce", "BadEmailAddress")
    if name == "brevo":
        return raw.get("event") in ("hard_bounce", "invalid_email")
    if name.startswith("amazon"):
        return (raw.get("bounce") or {}).get("bounceType") == "Permanent"
    return True


def on_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """anymail's tracking signal: a hard bounce or a complaint suppresses the recipient's address."""
    reason = SUPPRESSING.get(event.event_type)
    if reason is None or not event.recipient:
        return
    if reason == Suppression.Reason.BOUNCE and not _permanent(esp_name, event):
        return  # a soft bounce: the next message may well arrive
    said = event.description or event.mta_response or event.reject_reason or event.event_type
    number = message_pk(str(event.message_id or ""))  # our Message-ID, where the provider echoes it
    message = Message.objects.filter(pk=number).first() if number else None
    suppressions.suppress(ChannelKind.EMAIL, event.recipient, reason, detail=f"{esp_name}: {said}", message=message)
