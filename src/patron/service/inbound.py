"""Inbound email to tickets: a new message opens a ticket; a reply (by its headers or "[#ID]" in the
subject) is added to its ticket. The mail server pipes each message to `patron service inbound`.

A reply joins a ticket only when it comes from the ticket's requester, or when it was sent to the
ticket's reply address (`reply_address`: the desk's address with a per-ticket secret, which only
the people the desk wrote to know). Anybody else's mail, "[#ID]" in the subject or not, opens a new
ticket: a stranger cannot write into a customer's ticket or reopen it.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import hmac
import re

from django.conf import settings
from django.utils.html import strip_tags

from patron.core.errors import InvalidInput
from patron.customers.models import Customer
from patron.service import services
from patron.service.models import Ticket, TicketEvent

TICKET_TAG = re.compile(r"\[#(\d+)\]")
REPLY_TAG = re.compile(r"\+t(\d+)-([0-9a-f]{16})@", re.IGNORECASE)


def reply_token(ticket_id: int) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"patron.service.reply:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(ticket: Ticket, desk_address: str) -> str:
    """The address a reply to this ticket is sent to: the desk's, with the ticket and its secret after a +."""
    local, _, domain = desk_address.partition("@")
    return f"{local}+t{ticket.pk}-{reply_token(ticket.pk)}@{domain}"


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
    if ticket is not None and not _may_join(ticket, message, sender):
        ticket = None
    if ticket is not None and ticket.status != Ticket.Status.CLOSED:
        services.customer_wrote(ticket, body, message_id=message_id)
        return ticket, False
    customer = Customer.objects.filter(email=sender, erased_at__isnull=True).order_by("pk").first()
    created = services.open_ticket(subject=subject[:200], body=body, customer=customer, requester_email=sender,
                                   channel=Ticket.Channel.EMAIL, message_id=message_id)
    return created, True


def _may_join(ticket: Ticket, message, sender: str) -> bool:
    """The sender is the ticket's requester, or the mail went to the ticket's secret reply address."""
    requesters = {ticket.requester_email.lower()} | ({ticket.customer.email.lower()} if ticket.customer else set())
    if sender in requesters - {""}:
        return True
    return any(int(found) == ticket.pk and hmac.compare_digest(token.lower(), reply_token(ticket.pk))
               for found, token in REPLY_TAG.findall(_recipients(message)))


def _recipients(message) -> str:
    return " ".join(str(message.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To"))


def _thread(message, subject: str) -> Ticket | None:
    references = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    ids = re.findall(r"<[^>]+>", references)
    if ids:
        event = TicketEvent.objects.filter(message_id__in=ids).select_related("ticket__customer").first()
        if event is not None:
            return event.ticket
    for found, token in REPLY_TAG.findall(_recipients(message)):
        if hmac.compare_digest(token.lower(), reply_token(int(found))):
            return Ticket.objects.select_related("customer").filter(pk=int(found)).first()
    tag = TICKET_TAG.search(subject)
    return Ticket.objects.select_related("customer").filter(pk=int(tag.group(1))).first() if tag else None
