"""Paid memberships: join, cancel (with a save offer), resume, and the daily renewal.

A membership renews itself at the end of each period unless the member cancelled; a cancelled one
keeps its perks until the period it paid for ends. Each period is a MembershipPeriod row (number 1
is the joining, 2 the first renewal...), which is what the renewal analytics count. The shop
charges the fee; Patron records the fee due for each period (less a save offer's discount).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from patron.analytics import membership as membership_analytics
from patron.commerce.models import Order
from patron.core.errors import MembershipConflict, PlanNotFound
from patron.customers.models import Customer
from patron.customers.services import record_interaction
from patron.loyalty.events import renewal_due
from patron.loyalty.models import MembershipPeriod, PaidMembership, PaidPlan, Program

RUNNING = [PaidMembership.Status.ACTIVE, PaidMembership.Status.CANCELLING]


def get_plan(plan_id) -> PaidPlan:
    try:
        return PaidPlan.objects.select_related("program").get(pk=int(plan_id))
    except (PaidPlan.DoesNotExist, ValueError, TypeError):
        raise PlanNotFound(f"no plan {plan_id!r}") from None


def period_end(start: dt.datetime, plan: PaidPlan, periods: int = 1) -> dt.datetime:
    """Calendar months, the day kept where the month has it (31 January + 1 month: 28 or 29 February)."""
    return start + relativedelta(months=plan.period_months * periods)


def running(customer: Customer, program: Program | None = None):
    """The customer's running memberships (active or cancelled but not yet over), with their plans."""
    found = PaidMembership.objects.select_related("plan", "plan__program").filter(customer=customer, status__in=RUNNING)
    return found.filter(plan__program=program) if program is not None else found


def member_plan(program: Program, customer_id: int, at: dt.datetime) -> PaidPlan | None:
    """The plan whose perks the customer had in the program at `at` (the richest multiplier if several)."""
    # One filter() call: the three conditions must hold for the same membership.
    return (PaidPlan.objects.filter(Q(memberships__customer_id=customer_id, memberships__joined_at__lte=at)
                                    & (Q(memberships__ended_at__isnull=True) | Q(memberships__ended_at__gt=at)), program=program)
            .order_by("-earn_multiplier").first())


def perks(program: Program, customer: Customer) -> PaidPlan | None:
    """The plan whose perks the customer enjoys in the program now."""
    return member_plan(program, customer.pk, timezone.now())


def _fee(plan: PaidPlan, discount_percent: int) -> Decimal:
    return (plan.fee * (100 - discount_percent) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def customer_currency(customer: Customer) -> str | None:
    """The currency the customer buys in: their latest order's (None before any order)."""
    return Order.objects.filter(customer=customer).order_by("-placed_at", "-pk").values_list("currency", flat=True).first()


@transaction.atomic
def join(customer: Customer, plan: PaidPlan, *, at: dt.datetime | None = None) -> PaidMembership:
    at = at or timezone.now()
    if customer.is_erased:
        raise MembershipConflict("an erased customer cannot join")
    currency = customer_currency(customer)
    if currency and plan.program.currency != currency:
        raise MembershipConflict(f"{plan.name} is priced in {plan.program.currency}, and this customer buys in {currency}")
    if not plan.active:
        raise MembershipConflict(f"{plan.name} is not open to new members")
    if PaidMembership.objects.filter(plan=plan, customer=customer, status__in=RUNNING).exists():
        raise MembershipConflict(f"already a member of {plan.name}")
    try:
        with transaction.atomic():
            membership = PaidMembership.objects.create(plan=plan, customer=customer, joined_at=at, period_end=period_end(at, plan))
    except IntegrityError:  # joined at the same moment by another request (a double tap)
        raise MembershipConflict(f"already a member of {plan.name}") from None
    MembershipPeriod.objects.create(membership=membership, number=1, starts_at=at, ends_at=membership.period_end, fee=plan.fee)
    record_interaction(customer, "membership.joined", occurred_at=at, payload={"plan": plan.name, "fee": str(plan.fee)})
    return membership


def _lock(membership: PaidMembership) -> PaidMembership:
    return PaidMembership.objects.select_for_update().select_related("plan").get(pk=membership.pk)


@transaction.atomic
def cancel(membership: PaidMembership, *, at: dt.datetime | None = None, reason: str = "") -> PaidMembership:
    """Stop the renewal; the perks last until the period paid for ends."""
    at = at or timezone.now()
    membership = _lock(membership)
    if membership.status != PaidMembership.Status.ACTIVE:
        raise MembershipConflict("this membership is not renewing")
    membership.status, membership.cancelled_at, membership.next_discount_percent = PaidMembership.Status.CANCELLING, at, 0
    membership.save(update_fields=["status", "cancelled_at", "next_discount_percent"])
    record_interaction(membership.customer, "membership.cancelled", occurred_at=at,
                       payload={"plan": membership.plan.name, "until": membership.period_end.isoformat(), "reason": reason[:200]})
    return membership


def save_offer(membership: PaidMembership) -> int:
    """The discount (percent) to offer a member who is about to cancel; 0 when there is none (taken once)."""
    if membership.status != PaidMembership.Status.ACTIVE or membership.save_offer_taken_at is not None:
        return 0
    return membership.plan.save_offer_percent


@transaction.atomic
def take_save_offer(membership: PaidMembership, *, at: dt.datetime | None = None) -> PaidMembership:
    at = at or timezone.now()
    membership = _lock(membership)
    percent = save_offer(membership)
    if not percent:
        raise MembershipConflict("there is no offer for this membership")
    membership.save_offer_taken_at, membership.next_discount_percent = at, percent
    membership.save(update_fields=["save_offer_taken_at", "next_discount_percent"])
    record_interaction(membership.customer, "membership.saved", occurred_at=at, payload={"plan": membership.plan.name, "percent": percent})
    return membership


@transaction.atomic
def resume(membership: PaidMembership, *, at: dt.datetime | None = None) -> PaidMembership:
    """Undo a cancellation before the period ends: the membership renews again."""
    at = at or timezone.now()
    membership = _lock(membership)
    if membership.status != PaidMembership.Status.CANCELLING or membership.period_end <= at:
        raise MembershipConflict("only a cancelled membership whose period still runs can be resumed")
    membership.status, membership.cancelled_at = PaidMembership.Status.ACTIVE, None
    membership.save(update_fields=["status", "cancelled_at"])
    record_interaction(membership.customer, "membership.resumed", occurred_at=at, payload={"plan": membership.plan.name})
    return membership


def renew_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Renew every active membership whose period ended (a missed day catches up, period by period) and
    end the cancelled ones; safe to run more than once a day."""
    now = now or timezone.now()
    counts = {"renewed": 0, "ended": 0}
    due = PaidMembership.objects.filter(status__in=RUNNING, period_end__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            membership = PaidMembership.objects.select_for_update().select_related("plan", "customer").get(pk=pk)
            if membership.status == PaidMembership.Status.CANCELLING or membership.customer.is_erased:
                if membership.period_end <= now:
                    membership.status, membership.ended_at = PaidMembership.Status.ENDED, membership.period_end
                    membership.save(update_fields=["status", "ended_at"])
                    counts["ended"] += 1
                continue
            last = membership.periods.order_by("-number").first()
            number = last.number if last else 0
            while membership.period_end <= now:
                start = membership.period_end
                number += 1
                membership.period_end = period_end(membership.joined_at, membership.plan, number)
                MembershipPeriod.objects.create(membership=membership, number=number, starts_at=start, ends_at=membership.period_end,
                                                fee=_fee(membership.plan, membership.next_discount_percent))
                membership.next_discount_percent = 0
                counts["renewed"] += 1
            membership.save(update_fields=["period_end", "next_discount_percent"])
    return counts


def remind_renewals(now: dt.datetime | None = None) -> int:
    """Announce each renewal coming within the plan's reminder days, once per period (`events.renewal_due`:
    messaging queues the reminder, transactional as it is about a payment to come)."""
    now = now or timezone.now()
    reminded = 0
    periods = (MembershipPeriod.objects.select_related("membership__plan", "membership__customer")
               .filter(membership__status=PaidMembership.Status.ACTIVE, reminded_at__isnull=True, ends_at__gt=now,
                       ends_at=F("membership__period_end"))  # the current period
               .order_by("pk"))
    for period in periods:
        membership = period.membership
        plan = membership.plan
        if period.ends_at - dt.timedelta(days=plan.reminder_days) > now:
            continue
        with transaction.atomic():
            if not MembershipPeriod.objects.filter(pk=period.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            fee = _fee(plan, membership.next_discount_percent)
            renewal_due.send(sender=PaidMembership, membership=membership, period=period, fee=fee, currency=plan.program.currency)
        reminded += 1
    return reminded


def history(customer: Customer):
    """Every membership of the customer, newest first, with its periods."""
    return (PaidMembership.objects.select_related("plan", "plan__program").prefetch_related("periods")
            .filter(customer=customer).order_by("-joined_at", "-pk"))


def open_plans(customer: Customer):
    """Plans the customer may join now: open, not already running for them, and priced in the currency they buy in
    (a plan's fee is in its program's currency; a customer without orders yet is offered every open plan)."""
    mine = PaidMembership.objects.filter(customer=customer, status__in=RUNNING).values("plan")
    plans = PaidPlan.objects.select_related("program").filter(active=True).exclude(pk__in=mine)
    currency = customer_currency(customer)
    return (plans.filter(program__currency=currency) if currency else plans).order_by("fee", "name")


def renewal_report(plan: PaidPlan, now: dt.datetime | None = None, horizon: int = 12):
    """The plan's renewals per join cohort and the sBG forecast (analytics.membership) from the store."""
    now = now or timezone.now()
    joins = (PaidMembership.objects.filter(plan=plan, joined_at__lte=now).annotate(paid=Max("periods__number"))
             .values_list("joined_at", "paid"))
    renewing = (PaidMembership.objects.filter(plan=plan, status=PaidMembership.Status.ACTIVE)
                .annotate(paid=Max("periods__number")).values_list("paid", flat=True))
    return membership_analytics.report(plan.name, plan.period_months, list(joins), list(renewing), now, horizon)
