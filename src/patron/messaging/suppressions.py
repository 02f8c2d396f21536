"""Addresses no message goes to again: a hard bounce (the mail server's 5xx for the address) or a spam complaint.
The outbox skips them before sending (`blocked`), as it skips a customer without consent."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from patron.customers.models import Customer
from patron.messaging.models import ChannelKind, Message, Suppression

REASONS = {Suppression.Reason.BOUNCE: "bounced", Suppression.Reason.COMPLAINT: "complained"}


def address_of(customer: Customer, channel: str) -> str:
    if channel == ChannelKind.EMAIL:
        return (customer.email or "").strip().lower()
    if channel == ChannelKind.SMS:
        return (customer.phone or "").strip()
    return ""


def suppress(channel: str, address: str, reason: str, *, detail: str = "", message: Message | None = None) -> Suppression | None:
    """Suppress `address` on `channel` from now on (once: a later bounce of the same address changes nothing)."""
    address = address.strip().lower() if channel == ChannelKind.EMAIL else address.strip()
    if not address:
        return None
    try:
        with transaction.atomic():
            return Suppression.objects.create(channel=channel, address=address, reason=reason, detail=detail[:300],
                                              message=message, created_at=timezone.now())
    except IntegrityError:
        return Suppression.objects.filter(channel=channel, address=address).first()


def blocked(messages: list[Message]) -> dict[int, str]:
    """{message id: why} for the messages whose address is suppressed on their channel (one query per channel)."""
    found: dict[int, str] = {}
    for channel in (ChannelKind.EMAIL, ChannelKind.SMS):
        wanted = {m.pk: address_of(m.customer, channel) for m in messages if m.channel == channel}
        addresses = {a for a in wanted.values() if a}
        if not addresses:
            continue
        reasons = dict(Suppression.objects.filter(channel=channel, address__in=addresses).values_list("address", "reason"))
        found |= {pk: REASONS.get(reasons[a], "bounced") for pk, a in wanted.items() if a in reasons}
    return found


def of_customer(customer: Customer) -> list[Suppression]:
    """The customer's addresses that are suppressed, with why and when."""
    found = [Suppression.objects.filter(channel=channel, address=address).first()
             for channel in (ChannelKind.EMAIL, ChannelKind.SMS) if (address := address_of(customer, channel))]
    return [s for s in found if s is not None]
