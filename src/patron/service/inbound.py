"""Inbound email to tickets: a new message opens a ticket; a reply (by its headers or "[#ID]" in the
subject) is added to its ticket. The mail server pipes each message to `patron service inbound`."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re

from django.utils.html import strip_tags

from patron.core.errors import InvalidInput
from patron.customers.models import Customer
from patron.service import services
from patron.service.models import Ticket, TicketEvent

TICKET_TAG = re.compile(r"\[#(\d+)\]")


def _body(message) -> str:
    part = message.get_body(("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    return strip_tags(text) if part.get_content_type() == "text/html" else text


def receive(raw: bytes) -> tuple[Ticket, bool]:
    """(ticket, created) for one RFC 5322 message; the same Message-ID twice is taken once."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    _, sender = email.utils.parseaddr(str(message.get("From", "")))
    sender = sender.strip().lower()
    if "@" not in sender:
        raise InvalidInput("the message has no sender address (From)", field="From")
    message_id = str(message.get("Message-ID", "")).strip()[:250]
    if message_id:
        seen = TicketEvent.objects.filter(message_id=message_id).select_related("ticket").first()
        if seen is not None:
            return seen.ticket, False
    subject = " ".join(str(message.get("Subject", "")).split()) or "(no subject)"
    body = _body(message).strip()
    ticket = _thread(message, subject)
    if ticket is not None and ticket.status != Ticket.Status.CLOSED:
        services.customer_wrote(ticket, body, message_id=message_id)
        return ticket, False
    customer = Customer.objects.filter(email=sender, erased_at__isnull=True).order_by("pk").first()
    created = services.open_ticket(subject=subject[:200], body=body, customer=customer, requester_email=sender,
                                   channel=Ticket.Channel.EMAIL, message_id=message_id)
    return created, True


def _thread(message, subject: str) -> Ticket | None:
    references = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    ids = re.findall(r"<[^>]+>", references)
    if ids:
        event = TicketEvent.objects.filter(message_id__in=ids).select_related("ticket").first()
        if event is not None:
            return event.ticket
    tag = TICKET_TAG.search(subject)
    return Ticket.objects.filter(pk=int(tag.group(1))).first() if tag else None
