"""What the service desk exports and erases for one customer (registered in ServiceConfig.ready).

A ticket stays as a fact for the service figures (when it came, how fast it was answered); on
erasure its subject and every message in it go, since what a customer writes to a desk is about them."""

from django.db.models import Q

from patron.core.values import map_strings
from patron.customers.privacy import ERASED, Person, erases, exports
from patron.service.models import Ticket, TicketEvent

TEXT_EVENTS = (TicketEvent.Kind.CUSTOMER, TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE, TicketEvent.Kind.GESTURE)


def _tickets(customer, email: str):
    mine = Q(customer=customer)
    if email:
        mine |= Q(requester_email__iexact=email)
    return Ticket.objects.filter(mine)


@exports("tickets")
def tickets(customer) -> list[dict]:
    out = []
    for ticket in _tickets(customer, customer.email).order_by("created_at").prefetch_related("events"):
        out.append({"id": ticket.pk, "subject": ticket.subject, "kind": ticket.kind, "channel": ticket.channel,
                    "status": ticket.status, "created_at": ticket.created_at, "resolved_at": ticket.resolved_at,
                    "messages": [{"kind": e.kind, "author": e.author, "at": e.at, "body": e.body}
                                 for e in ticket.events.all() if e.kind in (TicketEvent.Kind.CUSTOMER, TicketEvent.Kind.REPLY)]})
    return out


@erases
def erase(customer, person: Person) -> None:
    found = _tickets(customer, person.email)
    TicketEvent.objects.filter(ticket__in=found, kind__in=TEXT_EVENTS).update(body=ERASED)
    for pk, author, payload in TicketEvent.objects.filter(ticket__in=found).values_list("pk", "author", "payload"):
        cleaned = (person.scrub(author), map_strings(person.scrub, payload))
        if cleaned != (author, payload):
            TicketEvent.objects.filter(pk=pk).update(author=cleaned[0], payload=cleaned[1])
    found.update(subject=ERASED, requester_email="", customer=customer)
