"""The aggregates the dashboard shows, computed once by `patron score` (and the daily loyalty run) and kept
as Snapshot rows: a page at 1M customers reads one row instead of scanning 10M orders.
"""

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from patron import analytics
from patron.analytics.frames import AnalyticsError
from patron.campaigns import reports as journey_reports
from patron.campaigns import services as journey_services
from patron.campaigns.models import Journey
from patron.feedback import queries as feedback_queries
from patron.dashboard.models import Snapshot
from patron.insights.models import SegmentMove
from patron.loyalty import paid
from patron.loyalty.models import Coupon, Membership, Program
from patron.loyalty.programme import liability

PERIOD_DAYS = 90  # the overview compares the last 90 days with the 90 before
COHORT_MONTHS = 12
MOVE_DAYS = 30


def save(name: str, data: dict, now: dt.datetime) -> None:
    Snapshot.objects.update_or_create(name=name, defaults={"computed_at": now, "data": _plain(data)})


STALE_AFTER = dt.timedelta(hours=26)  # the nightly scoring, with two hours' grace


def read(name: str) -> Snapshot | None:
    return Snapshot.objects.filter(name=name).first()


def age(found: Snapshot) -> dict:
    """What a page says of its figures: when they were computed, and whether that is longer ago than a night."""
    return {"computed_at": found.computed_at, "stale": timezone.now() - found.computed_at > STALE_AFTER}


def _plain(value):
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers, dates ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def overview(purchases: pa.Table, surveys: pa.Table, now: dt.datetime, money: dict | None = None) -> dict:
    """The KPIs of the last PERIOD_DAYS whole days against the period before, and monthly activity."""
    today = now.date()
    current = (today - dt.timedelta(days=PERIOD_DAYS), today - dt.timedelta(days=1))
    previous = (current[0] - dt.timedelta(days=PERIOD_DAYS), current[0] - dt.timedelta(days=1))
    answers = surveys if len(surveys) else None
    periods = {}
    for name, (start, end) in (("current", current), ("previous", previous)):
        try:
            report = analytics.kpis(purchases, "customer_id", "placed_at", "value", start, end, surveys=answers)
        except AnalyticsError as exc:  # e.g. no orders at all yet
            report = {"error": str(exc)}
        periods[name] = {"start": start.isoformat(), "end": end.isoformat(), **report}
    # The money figures' currency, and the orders left out of them for want of a rate (insights.money).
    return {"period_days": PERIOD_DAYS, **periods, "monthly": monthly_activity(purchases, now), **(money or {})}


def monthly_activity(purchases: pa.Table, now: dt.datetime, months: int = 24) -> list[dict]:
    """Active customers, orders and revenue per calendar month, the last `months` months."""
    if not len(purchases):
        return []
    month = pc.strftime(purchases["placed_at"], format="%Y-%m")
    table = pa.table({"month": month, "customer_id": purchases["customer_id"], "value": purchases["value"]})
    grouped = table.group_by("month").aggregate([("customer_id", "count_distinct"), ("customer_id", "count"), ("value", "sum")])
    frame = grouped.to_pandas().sort_values("month").tail(months)
    return [{"month": row.month, "customers": int(row.customer_id_count_distinct), "orders": int(row.customer_id_count),
             "revenue": round(float(row.value_sum), 2)} for row in frame.itertuples()]


def cohorts(purchases: pa.Table, now: dt.datetime) -> dict:
    """Monthly acquisition cohorts of the last COHORT_MONTHS months and their retention by month since."""
    if not len(purchases):
        return {"rows": []}
    since = (now.date().replace(day=1) - dt.timedelta(days=31 * (COHORT_MONTHS - 1))).replace(day=1)
    frame = analytics.cohort_retention(purchases, "customer_id", "placed_at", since=since, until=now.date())
    frame = frame[frame["months_since_first"] <= COHORT_MONTHS]
    return {"months": COHORT_MONTHS, "rows": [
        {"cohort": str(pd.Timestamp(r.cohort).date()), "month": int(r.months_since_first), "customers": int(r.customers),
         "size": int(r.cohort_size), "rate": float(r.rate)} for r in frame.itertuples()]}


def segments(rfm: pd.DataFrame, now: dt.datetime) -> dict:
    """Customers per RFM segment with their mean recency, frequency and spend, and the moves between
    segments in the last MOVE_DAYS days."""
    per = rfm.groupby("segment").agg(customers=("r_score", "size"), recency_days=("recency_days", "mean"),
                                     frequency=("frequency", "mean"), monetary=("monetary", "mean"))
    moves = (SegmentMove.objects.filter(moved_at__gte=now - dt.timedelta(days=MOVE_DAYS)).exclude(from_segment="")
             .values("from_segment", "to_segment").annotate(n=Count("customer_id")).order_by("-n"))
    return {
        "segments": [{"segment": name, "customers": int(row.customers), "recency_days": round(float(row.recency_days), 1),
                      "frequency": round(float(row.frequency), 2), "monetary": round(float(row.monetary), 2)}
                     for name, row in per.sort_values("customers", ascending=False).iterrows()],
        "move_days": MOVE_DAYS,
        "moves": [{"from": m["from_segment"], "to": m["to_segment"] or "-", "customers": m["n"]} for m in moves[:40]],
    }


def matrix(rfm: pd.DataFrame) -> dict:
    """The loyalty matrix: per quadrant, how many, what they spend and how often they buy; and per segment."""
    per = rfm.groupby("quadrant").agg(customers=("r_score", "size"), frequency=("frequency", "mean"), monetary=("monetary", "mean"))
    cross = pd.crosstab(rfm["segment"], rfm["quadrant"])
    return {
        "quadrants": {q: {"customers": int(per.loc[q, "customers"]) if q in per.index else 0,
                          "frequency": round(float(per.loc[q, "frequency"]), 2) if q in per.index else None,
                          "monetary": round(float(per.loc[q, "monetary"]), 2) if q in per.index else None}
                      for q in analytics.QUADRANTS},
        "by_segment": {seg: {q: int(cross.loc[seg, q]) if q in cross.columns else 0 for q in analytics.QUADRANTS}
                       for seg in cross.index},
    }


def loyalty(now: dt.datetime) -> dict:
    """Per program: the points liability and what is expiring, members per tier, the rewards most redeemed."""
    programs = []
    for program in Program.objects.order_by("name"):
        owed = liability(program, now)
        tiers = (Membership.objects.filter(program=program).values("tier__name", "tier__rank")
                 .annotate(n=Count("customer_id")).order_by("-tier__rank"))
        rewards = (Coupon.objects.filter(reward__program=program).values("reward__name", "reward__cost")
                   .annotate(issued=Count("id"), used=Count("id", filter=Q(used_at__isnull=False))).order_by("-issued")[:10])
        programs.append({
            "name": program.name, "currency": program.currency, "outstanding_points": owed.outstanding_points,
            "value": str(owed.value), "expiring": owed.expiring,
            "tiers": [{"tier": t["tier__name"] or "-", "members": t["n"]} for t in tiers],
            "rewards": [{"reward": r["reward__name"], "cost": r["reward__cost"], "issued": r["issued"], "used": r["used"]} for r in rewards],
            "plans": [_plan(plan, now) for plan in program.paid_plans.order_by("name")],
        })
    return {"programs": programs}


def _plan(plan, now: dt.datetime) -> dict:
    """A paid plan's members, its last twelve join cohorts (share still paying after 0, 1, 2... renewals)
    and the sBG forecast of renewal."""
    report = paid.renewal_report(plan, now, horizon=6).to_dict()
    cancelling = plan.memberships.filter(status="cancelling").count()
    width = max((len(c["active"]) for c in report["cohorts"][-12:]), default=0)
    cohorts = [{"month": c["month"], "members": c["members"],
                "shares": [round(100 * a / c["members"]) for a in c["active"]] + [None] * (width - len(c["active"]))}
               for c in report["cohorts"][-12:]]
    return {**report, "cohorts": cohorts, "cancelling": cancelling, "width": list(range(width)),
            "retention": [round(100 * r, 1) for r in report["retention"]]}


def journeys(now: dt.datetime) -> dict:
    """Each journey's funnel (entered, held out, sent, converted), its measured uplift (also pooled across journeys
    and months), its variants and what followed a click."""
    counted = journey_services.counts()
    by_key = Journey.objects.in_bulk([row["key"] for row in counted], field_name="key")
    reports = journey_reports.every(now, [by_key[row["key"]] for row in counted if row["entered"]])
    return {"currency": settings.PATRON_REPORTING_CURRENCY,
            "journeys": [{**row, "uplift": reports.get(by_key[row["key"]].pk)} for row in counted]}


def feedback(now: dt.datetime) -> dict:
    """NPS and CSAT by month over the last year, and the themes of the last 180 days."""
    table = feedback_queries.score_table("month", start=now - dt.timedelta(days=365), end=now)
    themes = feedback_queries.comment_themes(since=now - dt.timedelta(days=180))
    return {"months": table.reset_index().to_dict("records"), "themes": themes}


def refresh(now: dt.datetime, purchases: pa.Table, surveys: pa.Table, rfm: pd.DataFrame, money: dict | None = None) -> list[str]:
    """Every snapshot, after the scores are written; returns the names refreshed."""
    computed = {
        "overview": lambda: overview(purchases, surveys, now, money), "cohorts": lambda: cohorts(purchases, now),
        "segments": lambda: segments(rfm, now), "matrix": lambda: matrix(rfm), "loyalty": lambda: loyalty(now),
        "journeys": lambda: journeys(now), "feedback": lambda: feedback(now),
    }
    for name, compute in computed.items():
        save(name, compute(), now)
    return list(computed)
