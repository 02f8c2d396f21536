"""Paid memberships: renewals per join cohort, and the sBG forecast of renewal (Fader and Hardie 2007).

A cohort is the members who joined in one calendar month. Its curve counts, for k = 0, 1, 2..., the
members who paid for at least k + 1 periods (joined, then renewed k times), as far as every member of
the cohort has had the time: a cohort is observed through k renewals once its last joiner's k-th
renewal date has passed. The sBG model is fitted to all cohorts at once and projects the curve.
Plain data in, plain data out: `loyalty.paid.renewal_report` reads the store.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta

from patron.analytics.frames import AnalyticsError
from patron.analytics.models import ShiftedBetaGeometric


@dataclass
class Cohort:
    month: str  # YYYY-MM of joining
    members: int
    active: list[int]  # after 0, 1, 2... renewals


@dataclass
class RenewalReport:
    plan: str
    period_months: int
    cohorts: list[Cohort]
    alpha: float | None = None
    beta: float | None = None
    retention: list[float] = field(default_factory=list)  # r(t): of those who paid t - 1 renewals... who renew again
    survival: list[float] = field(default_factory=list)  # S(t): share of a new cohort still a member after t periods
    next_renewals: float | None = None  # expected renewals among the members now running
    running: int = 0
    error: str = ""

    def to_dict(self) -> dict:
        return {"plan": self.plan, "period_months": self.period_months, "running": self.running, "error": self.error,
                "cohorts": [{"month": c.month, "members": c.members, "active": c.active} for c in self.cohorts],
                "alpha": self.alpha, "beta": self.beta, "retention": self.retention, "survival": self.survival,
                "next_renewals": self.next_renewals}


def cohorts(joins, period_months: int, now: dt.datetime) -> list[Cohort]:
    """`joins`: (joined_at, periods paid) of each membership of one plan (periods paid: 1 for a member
    who never renewed). Cohorts by the calendar month of joining, oldest first."""
    by_month: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for joined, paid in joins:
        if joined <= now:
            by_month[f"{joined:%Y-%m}"].append((joined, paid or 1))
    out = []
    for month in sorted(by_month):
        members = by_month[month]
        last = max(j for j, _ in members)
        observed = 0
        while last + relativedelta(months=period_months * (observed + 1)) <= now:
            observed += 1
        out.append(Cohort(month, len(members), [sum(1 for _, paid in members if paid >= k + 1) for k in range(observed + 1)]))
    return out


def report(plan: str, period_months: int, joins, running_paid, now: dt.datetime, horizon: int = 12) -> RenewalReport:
    """The cohorts of `joins` (see `cohorts`) and the sBG fit to them; `running_paid`: the periods paid by
    each member renewing now (for the renewals expected next)."""
    found = cohorts(joins, period_months, now)
    running_paid = list(running_paid)
    out = RenewalReport(plan, period_months, found, running=len(running_paid))
    try:
        model = ShiftedBetaGeometric().fit_cohorts([c.active for c in found])
    except AnalyticsError as exc:
        out.error = str(exc)
        return out
    out.alpha, out.beta = float(model.params["alpha"]), float(model.params["beta"])
    out.retention = [round(float(v), 4) for v in model.retention(range(1, horizon + 1))]
    out.survival = [round(float(v), 4) for v in model.survival(range(1, horizon + 1))]
    # A member who has paid n periods renews next with r(n) (the n-th renewal).
    out.next_renewals = round(float(sum(model.retention(paid or 1) for paid in running_paid)), 1)
    return out
