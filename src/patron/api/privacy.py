"""The API's stored answers (Idempotency-Key) lose the person on erasure (registered in ApiConfig.ready)."""

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from patron.api.models import IdempotentRequest
from patron.core.values import map_strings
from patron.customers.privacy import Person, erases


@erases
def erase(customer, person: Person) -> None:
    """A stored answer about the customer names their external id, email or phone. SQLite keeps JSON
    with non-ASCII letters escaped, so the search looks for those (ASCII in practice), and the
    person's names are then taken out of the rows found, decoded."""
    needles = [v for v in (person.external_id, person.email, person.phone) if v]
    if not needles:
        return
    mentions = Q()
    for needle in needles:
        mentions |= Q(text__icontains=needle)
    found = IdempotentRequest.objects.annotate(text=Cast("body", TextField())).filter(mentions)
    for pk, body in found.values_list("pk", "body").iterator(chunk_size=500):
        IdempotentRequest.objects.filter(pk=pk).update(body=map_strings(person.scrub, body))
