"""Writes of the messaging context: queue a message, unsubscribe, set preferences."""

import datetime as dt

from django.core import signing
from django.db import transaction
from django.utils import timezone

from patron.core.errors import InvalidInput, InvalidLink
from patron.customers.models import Channel, ConsentEvent, Customer
from patron.customers.services import record_consent
from patron.messaging import content, render
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
