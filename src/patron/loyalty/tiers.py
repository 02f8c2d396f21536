"""Tiers: who qualifies for which, with a grace period and a warning before a downgrade.

A customer's qualifying value is the points they earned (earn movements) or what they spent
(completed orders less refunds) over the program's rolling window. They move up as soon as they
qualify. When they fall short of their tier they are warned once and keep it for the grace
period; if still short at its end they move down to the tier they do qualify for. Every change
and every warning is a TierEvent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from patron.commerce.models import Order, Refund
from patron.customers.models import Customer
from patron.loyalty.models import Membership, Movement, Program, Tier, TierEvent


@dataclass
class TierRun:
    upgrades: int = 0
    downgrades: int = 0
    warnings: int = 0


def qualifying_values(program: Program, now: dt.datetime, customer: Customer | None = None) -> dict[int, Decimal]:
    """Each customer's qualifying value over the window ending at `now` (only `customer`'s, if given)."""
    since = now - dt.timedelta(days=program.tier_window_days)
    if program.tier_basis == Program.TierBasis.POINTS:
        earned = Movement.objects.filter(program=program, kind=Movement.Kind.EARN, created_at__gt=since, created_at__lte=now)
        if customer is not None:
            earned = earned.filter(customer=customer)
        return {c: Decimal(v) for c, v in earned.values("customer").annotate(v=Sum("points")).values_list("customer", "v")}
    orders = Order.objects.filter(status=Order.Status.COMPLETED, currency=program.currency, placed_at__gt=since, placed_at__lte=now)
    refunds = Refund.objects.filter(order__currency=program.currency, order__placed_at__gt=since, order__placed_at__lte=now)
    if customer is not None:
        orders, refunds = orders.filter(customer=customer), refunds.filter(order__customer=customer)
    spent = dict(orders.values("customer").annotate(v=Sum("total")).values_list("customer", "v"))
    for customer_id, amount in refunds.values("order__customer").annotate(v=Sum("amount")).values_list("order__customer", "v"):
        spent[customer_id] = spent.get(customer_id, Decimal(0)) - amount
    return spent


def tier_for(tiers: list[Tier], value: Decimal) -> Tier | None:
    reached = [t for t in tiers if value >= t.threshold]
    return max(reached, key=lambda t: t.rank) if reached else None


def current_tier(program: Program, customer: Customer) -> Tier | None:
    membership = Membership.objects.select_related("tier").filter(program=program, customer=customer).first()
    return membership.tier if membership else None


@transaction.atomic
def evaluate(program: Program, now: dt.datetime | None = None) -> TierRun:
    """Bring every member's tier up to date; safe to run every day. Writes only what changed, in bulk."""
    now = now or timezone.now()
    tiers = list(program.tiers.all())
    values = qualifying_values(program, now)
    memberships = {m.customer_id: m for m in Membership.objects.select_related("tier").filter(program=program)}
    run = TierRun()
    new, changed, events = [], [], []

    def event(kind, membership, old, to, value):
        events.append(TierEvent(program=program, customer_id=membership.customer_id, kind=kind, from_tier=old, to_tier=to,
                                qualifying=value, at=now))

    for customer_id in set(values) | set(memberships):
        value = values.get(customer_id, Decimal(0))
        earned = tier_for(tiers, value)
        membership = memberships.get(customer_id)
        if membership is None:
            if earned is None:
                continue
            membership = Membership(program=program, customer_id=customer_id, tier=None, since=now)
            new.append(membership)
        held = membership.tier
        held_rank, earned_rank = (held.rank if held else -1), (earned.rank if earned else -1)
        before = (membership.tier_id, membership.since, membership.below_since)
        if earned_rank > held_rank:
            event(TierEvent.Kind.UPGRADE, membership, held, earned, value)
            membership.tier, membership.since, membership.below_since = earned, now, None
            run.upgrades += 1
        elif earned_rank < held_rank:
            if membership.below_since is None:
                membership.below_since = now
                event(TierEvent.Kind.WARNING, membership, held, earned, value)
                run.warnings += 1
            elif now - membership.below_since >= dt.timedelta(days=program.tier_grace_days):
                event(TierEvent.Kind.DOWNGRADE, membership, held, earned, value)
                membership.tier, membership.since, membership.below_since = earned, now, None
                run.downgrades += 1
        else:
            membership.below_since = None
        if membership.pk is not None and (membership.tier_id, membership.since, membership.below_since) != before:
            changed.append(membership)
    Membership.objects.bulk_create(new, batch_size=2000)
    Membership.objects.bulk_update(changed, ["tier", "since", "below_since"], batch_size=2000)
    TierEvent.objects.bulk_create(events, batch_size=2000)
    return run
