"""What journeys export and erase for one customer (registered in CampaignsConfig.ready)."""

from patron.campaigns.models import Enrollment, Task
from patron.core.values import map_strings
from patron.customers.privacy import Person, erases, exports


@exports("journeys")
def journeys(customer) -> list[dict]:
    return list(Enrollment.objects.filter(customer=customer).order_by("entered_at")
                .values("journey__name", "arm", "entered_at", "finished_at"))


@exports("tasks")
def tasks(customer) -> list[dict]:
    return list(Task.objects.filter(customer=customer).order_by("created_at").values("title", "note", "created_at", "done_at"))


@erases
def erase(customer, person: Person) -> None:
    for pk, title, note in Task.objects.filter(customer=customer).values_list("pk", "title", "note"):
        if (person.scrub(title), person.scrub(note)) != (title, note):
            Task.objects.filter(pk=pk).update(title=person.scrub(title), note=person.scrub(note))
    for pk, context in Enrollment.objects.filter(customer=customer).values_list("pk", "context"):
        cleaned = map_strings(person.scrub, context)
        if cleaned != context:
            Enrollment.objects.filter(pk=pk).update(context=cleaned)
