"""What messaging exports and erases for one customer (registered in MessagingConfig.ready)."""

from patron.core.values import map_strings
from patron.customers.privacy import Person, erases, exports
from patron.messaging.models import Message


@exports("messages")
def messages(customer) -> list[dict]:
    return list(Message.objects.filter(customer=customer).order_by("created_at", "pk")
                .values("template", "channel", "purpose", "status", "subject", "language", "created_at", "sent_at", "reason"))


@erases
def erase(customer, person: Person) -> None:
    """What was sent stays counted (journeys' figures); its subject, context and errors lose the person."""
    rows = Message.objects.filter(customer=customer).values_list("pk", "subject", "reason", "context")
    for pk, subject, reason, context in rows.iterator(chunk_size=2000):
        cleaned = (person.scrub(subject), person.scrub(reason), map_strings(person.scrub, context))
        if cleaned != (subject, reason, context):
            Message.objects.filter(pk=pk).update(subject=cleaned[0], reason=cleaned[1], context=cleaned[2])
