"""Writes of the messaging context: queue a message, unsubscribe, set preferences."""

import datetime as dt
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from patron.core.errors import InvalidInput, InvalidLink, MailFailed
from patron.customers.models import Channel, ConsentEvent, Customer
from patron.customers.services import record_consent
from patron.messaging import content, render
from patron.messaging import products as product_block
from patron.messaging.channels import Email
from patron.messaging.models import ChannelKind, Message


def queue(customer: Customer, template: str, *, channel: str = ChannelKind.EMAIL, purpose: str | None = None,
          context: dict | None = None, due_at: dt.datetime | None = None, journey=None, enrollment=None) -> Message:
    """Put one message in the outbox, in the caller's transaction; `patron worker` sends it after commit."""
    if channel not in ChannelKind.values:
        raise InvalidInput(f"unknown channel {channel!r}", field="channel")
    now = timezone.now()
    return Message.objects.create(
        customer=customer, template=template, channel=channel, purpose=purpose or content.purpose_of(template),
        context=context or {}, created_at=now, due_at=due_at or now, journey=journey, enrollment=enrollment,
    )


def customer_of_link(token: str) -> tuple[Customer, str]:
    try:
        customer_id, channel = render.read_token(token)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidLink("this link is not valid") from None
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or channel not in Channel.values:
        raise InvalidLink("this link is not valid")
    return customer, channel


@transaction.atomic
def unsubscribe(token: str) -> tuple[Customer, str]:
    """Withdraw marketing consent for the link's channel. Repeating it changes nothing."""
    customer, channel = customer_of_link(token)
    if not customer.is_erased:
        record_consent(customer, channel, False, source=ConsentEvent.Source.UNSUBSCRIBE)
    return customer, channel


@transaction.atomic
def set_preferences(token: str, choices: dict[str, bool]) -> Customer:
    customer, _ = customer_of_link(token)
    for channel, granted in choices.items():
        if channel in Channel.values and not customer.is_erased:
            record_consent(customer, channel, bool(granted), source=ConsentEvent.Source.PREFERENCES)
    return customer


def send_test(key: str, customer: Customer, to: str, *, products: bool = False) -> render.Rendered:
    """The message `key` as `customer` would get it (their language, their name in it, sample values where a
    journey would give its own: a coupon, an order) sent to a staff member's address `to`, its subject marked
    as a test. Its links (unsubscribe, preferences, a survey) belong to no customer: a click on them in the
    test changes nobody's choices."""
    if not to:
        raise InvalidInput("your account has no email address to send the test to; an administrator can add one", field="to")
    # The stand-in keeps the customer's id only for the product block: what they bought is not recommended again.
    stand_in = Customer(pk=0, external_id=customer.external_id, first_name=customer.first_name, last_name=customer.last_name,
                        language=customer.language, country=customer.country, timezone=customer.timezone)
    sample = dict(render.sample(key), products=True) if products else render.sample(key)
    if products:  # the customer's own next-best categories, not the sample's
        sample["offers"] = product_block.categories_of(customer.pk)
    message = Message(pk=0, template=key, channel=ChannelKind.EMAIL, purpose=content.purpose_of(key), context=sample)
    rendered = render.render(message, stand_in)
    if rendered is None:
        raise InvalidInput(f"the message {key!r} has no text in any language yet", field="template")
    email = Email(subject=f"[TEST] {rendered.subject}", body=rendered.text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
                   headers={"Content-Language": rendered.language, "X-Patron-Test": customer.external_id},
                   connection=get_connection(fail_silently=False, timeout=settings.PATRON_HTTP_READ_TIMEOUT))
    email.attach_alternative(rendered.html, "text/html")
    try:
        email.send()
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(f"the mail server did not take the test: {exc}") from None
    return rendered
