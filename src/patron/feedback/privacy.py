"""What feedback exports and erases for one customer (registered in FeedbackConfig.ready)."""

from patron.customers.privacy import Person, erases, exports


@exports("survey_responses")
def responses(customer) -> list[dict]:
    return list(customer.survey_responses.order_by("answered_at")
                .values("kind", "score", "comment", "language", "source", "answered_at", "idea__title"))


@exports("survey_asks")
def asks(customer) -> list[dict]:
    return list(customer.survey_asks.order_by("created_at").values("kind", "origin", "created_at"))


@erases
def erase(customer, person: Person) -> None:
    """The scores stay, anonymous, in the NPS and CSAT; what the person wrote goes."""
    customer.survey_responses.update(comment="", language="")
