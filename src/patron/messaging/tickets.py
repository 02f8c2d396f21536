"""An agent's reply to a ticket, recorded on the ticket (service.reply) and sent to the customer by email in the
same transaction's outbox: the ticket's subject and number, and a Reply-To that brings the answer back to it."""

from django.conf import settings
from django.db import transaction

from patron.messaging import services as messaging
from patron.messaging.models import ChannelKind, Purpose
from patron.service import services as service
from patron.service.inbound import reply_address
from patron.service.models import Ticket, TicketEvent


@transaction.atomic
def send_reply(ticket: Ticket, body: str, *, by: str, agent: str = "", wait_for_customer: bool = False) -> tuple[TicketEvent, bool]:
    """The reply, and whether it was queued to the customer (a requester who is not a customer, or a customer
    without an email address, is written to by hand: the reply is recorded either way)."""
    event = service.reply(ticket, body, by=by, wait_for_customer=wait_for_customer)
    customer = ticket.customer
    if customer is None or not customer.email or customer.is_erased:
        return event, False
    context = {"ticket": ticket.pk, "ticket_subject": ticket.subject, "body": event.body, "agent": agent or by}
    if settings.PATRON_SERVICE_ADDRESS:
        context["reply_to"] = reply_address(ticket, settings.PATRON_SERVICE_ADDRESS)
    messaging.queue(customer, "ticket_reply", channel=ChannelKind.EMAIL, purpose=Purpose.TRANSACTIONAL, context=context)
    return event, True
