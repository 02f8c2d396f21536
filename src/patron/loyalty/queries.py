"""Read-side questions about the loyalty program: a customer's standing, the rewards on offer."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, Sum
from django.utils import timezone

from patron.customers.models import Customer
from patron.loyalty import paid
from patron.loyalty.models import Account, Lot, Movement, Program, Reward


def status(customer: Customer, days: int = 30, recent: int = 10) -> list[dict]:
    """Per program: balance, points owed, lifetime points, lots expiring within `days`, the latest movements."""
    soon = timezone.now() + dt.timedelta(days=days)
    out = []
    for program in Program.objects.order_by("name"):
        wallet = Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer=customer).first()  # a read creates nothing
        movements = Movement.objects.filter(program=program, customer=customer)
        lifetime = movements.filter(kind__in=[Movement.Kind.EARN, Movement.Kind.ADJUST], points__gt=0).aggregate(s=Sum("points"))["s"] or 0
        expiring = Lot.objects.filter(wallet__program=program, wallet__customer=customer, remaining__gt=0,
                                      expires_at__lte=soon).order_by("expires_at")
        out.append({
            "program": program.name, "balance": wallet.balance if wallet else 0, "owed": wallet.owed if wallet else 0, "lifetime_points": lifetime,
            "expiring": [{"points": lot.remaining, "expires_at": lot.expires_at.isoformat()} for lot in expiring],
            "recent": [{"kind": m.kind, "points": m.points, "reason": m.reason, "reference": m.reference,
                        "at": m.created_at.isoformat()} for m in movements.order_by("-created_at", "-id")[:recent]],
            # The paid plans running for the customer: the shop reads the perks (free delivery) here.
            "memberships": [{"plan": m.plan.name, "status": m.status, "period_end": m.period_end.isoformat(),
                             "earn_multiplier": str(m.plan.earn_multiplier), "free_delivery": m.plan.free_delivery}
                            for m in paid.running(customer, program)],
        })
    return out


def available_rewards(now: dt.datetime | None = None):
    """Active rewards whose validity covers `now`, cheapest first within each program."""
    now = now or timezone.now()
    return (Reward.objects.select_related("program").filter(active=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now), Q(valid_until__isnull=True) | Q(valid_until__gt=now))
            .order_by("program__name", "cost", "id"))
