"""Every write about feedback: answers, the detractor event, the feedback bonus, ideas and closing the loop."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from patron.core.errors import Conflict, CustomerErased, InvalidInput, InvalidLink, NotFound
from patron.customers.models import Customer, Interaction
from patron.feedback import tokens
from patron.feedback.models import CSAT_SCALE, NPS_SCALE, Ask, Idea, Response, SurveyKind
from patron.loyalty.programme import feedback_bonus

COMMENT_LIMIT = 5000
DETRACTOR = "nps_detractor"  # the timeline event the detractor follow-up journey starts on
IDEA_SHIPPED = "suggestion_implemented"  # the one "your idea shipped" starts on


class IdeaNotFound(NotFound):
    code = "idea_not_found"


def check_kind(kind) -> str:
    kind = str(kind or "").strip().lower()
    if kind not in SurveyKind.values:
        raise InvalidInput(f"kind must be nps or csat, not {kind!r}", field="kind")
    return kind


def scale(kind: str) -> tuple[int, int]:
    return NPS_SCALE if kind == SurveyKind.NPS else CSAT_SCALE


def check_answer(kind, score) -> tuple[str, int]:
    """(kind, score) checked against the survey's scale; InvalidInput naming the field otherwise."""
    kind = check_kind(kind)
    low, high = scale(kind)
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"score must be a whole number from {low} to {high}, not {score!r}", field="score") from None
    if not low <= value <= high:
        raise InvalidInput(f"score must be a whole number from {low} to {high}, not {score!r}", field="score")
    return kind, value


def _clean_comment(comment) -> str | None:
    if comment is None:
        return None
    text = str(comment).strip()
    if len(text) > COMMENT_LIMIT:
        raise InvalidInput(f"comment is longer than {COMMENT_LIMIT} characters", field="comment")
    return text


def record_answer(customer: Customer, kind: str, score, *, ref: str, source: str, comment: str | None = None,
                  at: dt.datetime | None = None) -> Response:
    """Store the customer's answer to what `ref` asked, or update it if they answered before.

    A comment of None keeps the comment given before (the one-click score from an email carries
    none). An NPS answer of 0-6 puts a detractor event on the timeline, once per answer.
    The first answer to each ask Patron made (a survey message, a recorded Ask) or that the shop sent
    through the API earns the feedback bonus of every program that has one; an answer to a link
    nobody recorded is kept, and earns nothing.
    """
    kind, score = check_answer(kind, score)
    comment = _clean_comment(comment)
    at = at or timezone.now()
    if customer.is_erased:
        raise CustomerErased("an erased customer's answers are not kept")
    with transaction.atomic():
        existing = Response.objects.select_for_update().filter(customer=customer, ref=ref).first()
        if existing is not None and existing.kind != kind:
            raise Conflict(f"this survey asked for {existing.kind}, not {kind}")
        if existing is None:
            try:
                with transaction.atomic():
                    response = Response.objects.create(customer=customer, kind=kind, score=score, comment=comment or "",
                                                       language=customer.language, ref=ref, source=source,
                                                       answered_at=at, updated_at=at)
            except IntegrityError:  # the same answer arrived twice at once: the other one won, update it
                return record_answer(customer, kind, score, ref=ref, source=source, comment=comment, at=at)
            if _earns_bonus(customer, ref):
                _feedback_bonus(response)
        else:
            response = existing
            response.score = score
            if comment is not None:
                response.comment = comment
            response.updated_at = at
            response.save(update_fields=["score", "comment", "updated_at"])
        if response.is_detractor:
            _detractor_event(response, at)
    return response


def _detractor_event(response: Response, at: dt.datetime) -> None:
    seen = Interaction.objects.filter(customer_id=response.customer_id, kind=DETRACTOR, payload__response=response.pk)
    if not seen.exists():
        Interaction.objects.create(customer_id=response.customer_id, kind=DETRACTOR, channel="survey", occurred_at=at,
                                   payload={"response": response.pk, "score": response.score})


def _earns_bonus(customer: Customer, ref: str) -> bool:
    if ref.startswith((tokens.MESSAGE_PREFIX, tokens.API_PREFIX)):
        return True  # one ref per survey message sent, or per ask the shop's system made
    return Ask.objects.filter(customer=customer, ref=ref).exists()


def _feedback_bonus(response: Response) -> None:
    feedback_bonus(response.customer, reference=f"survey:{response.pk}", at=response.answered_at)


def answer_link(customer: Customer, kind: str) -> str:
    """A survey link for one customer (to send by hand or print on a receipt), recorded as an ask."""
    ask = Ask.objects.create(customer=customer, kind=check_kind(kind), ref=tokens.new_link_ref(), origin=Ask.Origin.STAFF)
    return tokens.url(customer.pk, ask.kind, ask.ref)


def open_portal_ask(customer: Customer, kind: str = SurveyKind.NPS, *, now: dt.datetime | None = None) -> Ask:
    """The portal's survey for the customer: the open ask it showed before (unanswered, its link still
    valid), else a new one. Opening the page again never makes a second ask to earn a second bonus."""
    now = now or timezone.now()
    kind = check_kind(kind)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()  # two page views at once make one ask
        answered = Response.objects.filter(customer=customer).values("ref")
        open_ask = (Ask.objects.filter(customer=customer, kind=kind, origin=Ask.Origin.PORTAL,
                                       created_at__gte=now - dt.timedelta(days=tokens.MAX_AGE_DAYS))
                    .exclude(ref__in=answered).order_by("-created_at").first())
        if open_ask is None:
            open_ask = Ask.objects.create(customer=customer, kind=kind, ref=tokens.new_link_ref(tokens.PORTAL_PREFIX),
                                          origin=Ask.Origin.PORTAL, created_at=now)
    return open_ask


def survey_of_link(token: str) -> tuple[Customer, str, str]:
    """(customer, kind, ref) a survey link asks; InvalidLink when it is not one of ours or its customer is erased."""
    customer_id, kind, ref = tokens.read(token)
    customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
    if customer is None or kind not in SurveyKind.values:
        raise InvalidLink("this survey link is not valid")
    return customer, kind, ref


def source_of(ref: str) -> str:
    """How an answer to `ref` arrived: from a survey email or from a link."""
    return Response.Source.EMAIL if ref.startswith(tokens.MESSAGE_PREFIX) else Response.Source.LINK


# Ideas -------------------------------------------------------------------------------------------

def get_idea(idea_id) -> Idea:
    try:
        return Idea.objects.get(pk=int(idea_id))
    except (Idea.DoesNotExist, TypeError, ValueError):
        raise IdeaNotFound(f"no idea with id {idea_id!r}") from None


def create_idea(title: str, *, responses=(), by: str = "") -> Idea:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("an idea needs a title", field="title")
    if len(title) > 200:
        raise InvalidInput("an idea's title is at most 200 characters", field="title")
    with transaction.atomic():
        idea = Idea.objects.create(title=title, created_by=by)
        link_responses(idea, responses)
    return idea


def link_responses(idea: Idea, responses) -> int:
    """Mark answers as asking for this idea; returns how many were linked."""
    ids = [r.pk if isinstance(r, Response) else int(r) for r in responses]
    return Response.objects.filter(pk__in=ids).exclude(comment="").update(idea=idea)


def implement_idea(idea: Idea, *, at: dt.datetime | None = None) -> int:
    """Mark the idea implemented and put an event on the timeline of every customer who asked for it
    (the "your idea shipped" journey tells them). Returns how many customers will hear of it;
    marking an idea implemented twice tells nobody twice."""
    at = at or timezone.now()
    with transaction.atomic():
        idea = Idea.objects.select_for_update().get(pk=idea.pk)
        if idea.status == Idea.Status.IMPLEMENTED:
            raise Conflict(f"idea {idea.pk} was already marked implemented on {idea.implemented_at:%Y-%m-%d}")
        idea.status = Idea.Status.IMPLEMENTED
        idea.implemented_at = at
        idea.save(update_fields=["status", "implemented_at"])
        customers = list(Response.objects.filter(idea=idea, customer__erased_at__isnull=True)
                         .values_list("customer_id", flat=True).distinct())
        Interaction.objects.bulk_create([
            Interaction(customer_id=c, kind=IDEA_SHIPPED, channel="", occurred_at=at, payload={"idea": idea.title, "idea_id": idea.pk})
            for c in customers
        ])
    return len(customers)
