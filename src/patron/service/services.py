"""Every write on the service desk: tickets, replies, notes, the SLA clock, escalation and recovery gestures.

The SLA clock runs in the policy's business hours. Both due dates are computed from the ticket's
creation: first response = created + the priority's first-response minutes; resolution = created +
its resolution minutes + the minutes spent waiting on the customer (the clock is paused then).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from patron.core.errors import Conflict, InvalidInput, NotFound
from patron.customers.models import Customer, Interaction
from patron.feedback.models import Response
from patron.insights import risk
from patron.insights.models import CustomerScore
from patron.loyalty import services as loyalty
from patron.loyalty.models import Program
from patron.service.hours import BusinessCalendar
from patron.service.models import PRIORITY_ORDER, Priority, SlaPolicy, Ticket, TicketEvent

BODY_LIMIT = 20_000


class TicketNotFound(NotFound):
    code = "ticket_not_found"


def get_ticket(ticket_id) -> Ticket:
    try:
        return Ticket.objects.select_related("customer", "policy").get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, TypeError, ValueError):
        raise TicketNotFound(f"no ticket {ticket_id!r}") from None


def calendar_of(policy: SlaPolicy) -> BusinessCalendar:
    return BusinessCalendar.from_config(policy.timezone, policy.hours, policy.holidays, policy.holiday_country)


def check_policy(policy: SlaPolicy) -> None:
    """InvalidInput naming the field when a policy's hours, holidays or targets are not usable."""
    calendar_of(policy)
    for name in ("first_response_minutes", "resolution_minutes"):
        targets = getattr(policy, name)
        if not isinstance(targets, dict) or set(targets) != set(Priority.values):
            raise InvalidInput(f"{name} needs minutes for each priority: {', '.join(Priority.values)}", field=name)
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in targets.values()):
            raise InvalidInput(f"{name}: minutes must be numbers above zero", field=name)


def default_policy() -> SlaPolicy | None:
    return SlaPolicy.objects.filter(is_default=True).first() or SlaPolicy.objects.order_by("pk").first()


def _choice(value, choices, name: str, default):
    if value in (None, ""):
        return default
    value = str(value).lower()
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value!r}", field=name)
    return value


def _text(value, name: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(f"a ticket needs a {name}", field=name)
    if len(text) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    return text


def priority_for(customer: Customer | None, requested: str) -> tuple[str, list[str]]:
    """The requested priority raised one level per reason, at most two: an NPS detractor, a customer of
    high predicted value (CLV in the top tenth at the last scoring), a customer at risk of leaving."""
    reasons = []
    if customer is not None:
        latest = Response.objects.filter(customer=customer, kind="nps").order_by("-answered_at", "-id").first()
        if latest is not None and latest.score <= 6:
            reasons.append(f"NPS detractor ({latest.score})")
        score = CustomerScore.objects.filter(customer=customer).first()
        if risk.is_valuable(score, risk.clv_threshold() if score is not None else None):
            reasons.append("high CLV")
        if risk.is_at_risk(score):
            reasons.append("at risk of leaving")
    level = min(PRIORITY_ORDER.index(requested) + min(len(reasons), 2), len(PRIORITY_ORDER) - 1)
    return PRIORITY_ORDER[level], reasons


def _set_due(ticket: Ticket) -> None:
    if ticket.policy is None:
        return
    calendar = calendar_of(ticket.policy)
    ticket.first_response_due = calendar.add(ticket.created_at, ticket.policy.first_response_minutes[ticket.priority])
    ticket.resolution_due = calendar.add(ticket.created_at, ticket.policy.resolution_minutes[ticket.priority] + ticket.paused_minutes)


def open_ticket(*, subject: str, channel: str, customer: Customer | None = None, requester_email: str = "", body: str = "",
                kind: str | None = None, priority: str | None = None, external_ref: str = "", author: str = "customer",
                message_id: str = "", at: dt.datetime | None = None) -> Ticket:
    """A new ticket with its first message; with an `external_ref` the same call twice returns the same ticket."""
    subject = _text(subject, "subject", 200, required=True)
    body = _text(body, "body", BODY_LIMIT)
    kind = _choice(kind, Ticket.Kind.values, "kind", Ticket.Kind.QUESTION)
    requested = _choice(priority, Priority.values, "priority", Priority.NORMAL)
    channel = _choice(channel, Ticket.Channel.values, "channel", None)
    external_ref = _text(external_ref, "external_ref", 100)
    if customer is not None and customer.is_erased:
        raise Conflict("an erased customer cannot open tickets")
    if external_ref:
        existing = Ticket.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            return existing
    at = at or timezone.now()
    level, reasons = priority_for(customer, requested)
    try:
        with transaction.atomic():
            ticket = Ticket(customer=customer, requester_email=requester_email, subject=subject, kind=kind, channel=channel,
                            priority=level, priority_reason=", ".join(reasons), policy=default_policy(),
                            external_ref=external_ref, created_at=at)
            _set_due(ticket)
            ticket.save()
            TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CUSTOMER, author=author, body=body, at=at,
                                       message_id=message_id)
            if reasons:
                TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.PRIORITY, author="patron", at=at,
                                           body=f"{requested} raised to {level}: {', '.join(reasons)}",
                                           payload={"from": requested, "to": level})
    except IntegrityError:
        if external_ref:  # the same ticket arrived twice at once
            return Ticket.objects.get(external_ref=external_ref)
        raise
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("policy", "customer").get(pk=ticket.pk)


def _pause(ticket: Ticket, at: dt.datetime) -> None:
    if ticket.waiting_since is None:
        ticket.waiting_since = at


def _resume(ticket: Ticket, at: dt.datetime) -> None:
    if ticket.waiting_since is not None:
        if ticket.policy is not None:
            ticket.paused_minutes += calendar_of(ticket.policy).elapsed(ticket.waiting_since, at)
        ticket.waiting_since = None
        _set_due(ticket)


@transaction.atomic
def reply(ticket: Ticket, body: str, *, by: str, wait_for_customer: bool = False, at: dt.datetime | None = None) -> TicketEvent:
    """A reply to the customer (the first one meets the first-response target); `wait_for_customer`
    pauses the SLA clock until they answer."""
    body = _text(body, "body", BODY_LIMIT, required=True)
    at = at or timezone.now()
    ticket = _locked(ticket)
    if not ticket.is_open:
        raise Conflict(f"ticket {ticket.pk} is {ticket.status}; reopen it to reply")
    if ticket.first_response_at is None:
        ticket.first_response_at = at
    if wait_for_customer:
        ticket.status = Ticket.Status.WAITING
        _pause(ticket, at)
    else:
        _resume(ticket, at)
        ticket.status = Ticket.Status.OPEN
    ticket.save()
    return TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.REPLY, author=by, body=body, at=at)


@transaction.atomic
def add_note(ticket: Ticket, body: str, *, by: str, at: dt.datetime | None = None) -> TicketEvent:
    """An internal note: never sent to the customer; read with the feedback themes."""
    body = _text(body, "body", BODY_LIMIT, required=True)
    return TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.NOTE, author=by, body=body, at=at or timezone.now())


@transaction.atomic
def customer_wrote(ticket: Ticket, body: str, *, at: dt.datetime | None = None, message_id: str = "") -> TicketEvent:
    """The customer answered: a waiting ticket's clock runs again; a resolved ticket reopens."""
    at = at or timezone.now()
    ticket = _locked(ticket)
    if ticket.status == Ticket.Status.CLOSED:
        raise Conflict(f"ticket {ticket.pk} is closed")
    _resume(ticket, at)
    if ticket.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
        ticket.status = Ticket.Status.OPEN
        ticket.resolved_at = None
    ticket.save()
    return TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CUSTOMER, author="customer",
                                      body=_text(body, "body", BODY_LIMIT), at=at, message_id=message_id)


@transaction.atomic
def set_priority(ticket: Ticket, priority: str, *, by: str, at: dt.datetime | None = None) -> Ticket:
    priority = _choice(priority, Priority.values, "priority", None)
    ticket = _locked(ticket)
    if priority != ticket.priority:
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.PRIORITY, author=by, at=at or timezone.now(),
                                   body=f"{ticket.priority} to {priority}", payload={"from": ticket.priority, "to": priority})
        ticket.priority = priority
        _set_due(ticket)
        ticket.save()
    return ticket


@transaction.atomic
def assign(ticket: Ticket, user, *, by: str, at: dt.datetime | None = None) -> Ticket:
    ticket = _locked(ticket)
    ticket.assigned_to = user
    ticket.save(update_fields=["assigned_to"])
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, author=by, at=at or timezone.now(),
                               body=user.get_username() if user else "unassigned")
    return ticket


@transaction.atomic
def resolve(ticket: Ticket, *, by: str, gesture: dict | None = None, note: str = "", at: dt.datetime | None = None) -> Ticket:
    """Resolve the ticket. For a complaint the agent may make a recovery gesture: {"points": N} goodwill
    points, or {"reward": ID} an apology coupon, from the customer's loyalty program; it is recorded on
    the ticket and the customer's timeline, and the service-recovery journey follows up."""
    at = at or timezone.now()
    ticket = _locked(ticket)
    if not ticket.is_open:
        raise Conflict(f"ticket {ticket.pk} is already {ticket.status}")
    _resume(ticket, at)
    ticket.status = Ticket.Status.RESOLVED
    ticket.resolved_at = at
    ticket.save()
    given = _gesture(ticket, gesture, by, at) if gesture else {}
    if note:
        add_note(ticket, note, by=by, at=at)
    if ticket.customer_id:
        payload = {"ticket": ticket.pk, "subject": ticket.subject, **given}
        Interaction.objects.create(customer_id=ticket.customer_id, kind="ticket_resolved", channel=ticket.channel,
                                   occurred_at=at, payload=payload)
        if ticket.kind == Ticket.Kind.COMPLAINT:
            Interaction.objects.create(customer_id=ticket.customer_id, kind="complaint_resolved", channel=ticket.channel,
                                       occurred_at=at, payload=payload)
    return ticket


def _gesture(ticket: Ticket, gesture: dict, by: str, at: dt.datetime) -> dict:
    if ticket.customer is None:
        raise Conflict("a gesture needs the ticket's customer")
    if not isinstance(gesture, dict) or len(set(gesture) & {"points", "reward"}) != 1:
        raise InvalidInput('a gesture is {"points": N} or {"reward": ID}', field="gesture")
    if "points" in gesture:
        program = Program.objects.filter(pk=gesture["program"]).first() if gesture.get("program") else Program.objects.order_by("pk").first()
        if program is None:
            raise Conflict("goodwill points need a loyalty program")
        points = gesture["points"]
        if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
            raise InvalidInput(f"goodwill points must be a whole number above zero, not {points!r}", field="gesture.points")
        loyalty.adjust(program, ticket.customer, points, reason=f"apology for ticket #{ticket.pk}", by=by, at=at)
        given = {"points": points}
    else:
        reward = loyalty.get_reward(gesture["reward"])
        codes = loyalty.gift_coupons(reward, [ticket.customer_id], reason=f"apology for ticket #{ticket.pk}", at=at,
                                     expires_at=at + dt.timedelta(days=int(gesture.get("valid_days", 30))))
        given = {"coupon": codes[ticket.customer_id], "reward": reward.name}
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.GESTURE, author=by, at=at, payload=given,
                               body=", ".join(f"{k} {v}" for k, v in given.items()))
    return given


@transaction.atomic
def set_status(ticket: Ticket, status: str, *, by: str, at: dt.datetime | None = None) -> Ticket:
    """Open, wait on the customer, close, or reopen (resolving goes through `resolve`)."""
    status = _choice(status, Ticket.Status.values, "status", None)
    if status == Ticket.Status.RESOLVED:
        return resolve(ticket, by=by, at=at)
    at = at or timezone.now()
    ticket = _locked(ticket)
    if status == Ticket.Status.WAITING:
        _pause(ticket, at)
    else:
        _resume(ticket, at)
    if status in (Ticket.Status.NEW, Ticket.Status.OPEN):
        ticket.resolved_at = None
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.STATUS, author=by, at=at, body=f"{ticket.status} to {status}")
    ticket.status = status
    ticket.save()
    return ticket


def sla_state(ticket: Ticket, now: dt.datetime | None = None) -> dict:
    """Which target is running, its due time, business minutes left (negative when breached), paused or not."""
    now = now or timezone.now()
    if ticket.policy is None or not ticket.is_open:
        return {"target": None}
    calendar = calendar_of(ticket.policy)
    target = "first_response" if ticket.first_response_at is None else "resolution"
    due = ticket.first_response_due if target == "first_response" else ticket.resolution_due
    budget = (ticket.policy.first_response_minutes if target == "first_response" else ticket.policy.resolution_minutes)[ticket.priority]
    if target == "resolution":
        budget += ticket.paused_minutes
    reference = ticket.waiting_since or now
    left = calendar.elapsed(reference, due) if reference < due else -calendar.elapsed(due, reference)
    return {"target": target, "due": due, "minutes_left": round(left, 1), "budget": budget, "paused": ticket.waiting_since is not None,
            "used": round(1 - left / budget, 3) if budget else None}


def sweep(now: dt.datetime | None = None) -> dict:
    """Escalate open tickets that used their policy's escalation share of a target (the queue puts them
    first), and record breaches. Safe to run every minute: each happens once per ticket."""
    now = now or timezone.now()
    escalated = breached = 0
    running = Ticket.objects.filter(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN], policy__isnull=False)
    for ticket in running.filter(breached_at__isnull=True).select_related("policy").iterator():
        state = sla_state(ticket, now)
        if state["target"] is None:
            continue
        with transaction.atomic():
            if state["minutes_left"] < 0:
                Ticket.objects.filter(pk=ticket.pk).update(breached_at=now)
                TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.BREACHED, author="patron", at=now,
                                           body=f"{state['target'].replace('_', ' ')} due {state['due']:%Y-%m-%d %H:%M} UTC")
                breached += 1
            if ticket.escalated_at is None and state["used"] is not None and state["used"] >= float(ticket.policy.escalate_at):
                Ticket.objects.filter(pk=ticket.pk).update(escalated_at=now)
                TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, author="patron", at=now,
                                           body=f"{state['used']:.0%} of the {state['target'].replace('_', ' ')} time used")
                escalated += 1
    return {"escalated": escalated, "breached": breached}
