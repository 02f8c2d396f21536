"""A journey's measured uplift: its treated entrants against the held-out control group."""

import datetime as dt
import math

import pandas as pd
from django.db import connection
from django.utils import timezone

from patron.analytics.uplift import compare
from patron.campaigns.models import Enrollment, Journey
from patron.commerce.models import Order
from patron.core import sql

# Tables read or written by the SQL below, by their models.
ENROLLMENTS = Enrollment._meta.db_table
ORDERS = Order._meta.db_table

RETENTION_DAYS = 90


def uplift(journey: Journey, now: dt.datetime | None = None) -> dict:
    """Conversion (an order within the journey's conversion days), revenue in that window per entrant,
    and retention (an order within 90 days), over the entrants whose windows have closed."""
    now = now or timezone.now()
    closed = now - dt.timedelta(days=journey.conversion_days)
    frame = pd.DataFrame.from_records(
        Enrollment.objects.filter(journey=journey, entered_at__lte=closed).values("id", "customer_id", "arm", "entered_at"),
        columns=["id", "customer_id", "arm", "entered_at"])
    orders = _orders(journey, closed)
    if frame.empty:
        frame = frame.assign(converted=[], revenue=[], retained=[])
    else:
        frame["entered_at"] = pd.to_datetime(frame["entered_at"], utc=True)
        joined = frame.merge(orders, on="customer_id", how="left")
        after = (joined["placed_at"] > joined["entered_at"])
        within = after & (joined["placed_at"] <= joined["entered_at"] + pd.Timedelta(days=journey.conversion_days))
        retained_window = after & (joined["placed_at"] <= joined["entered_at"] + pd.Timedelta(days=RETENTION_DAYS))
        joined["conv"] = within
        joined["rev"] = joined["total"].where(within, 0.0).fillna(0.0)
        joined["ret"] = retained_window
        per = joined.groupby("id").agg(converted=("conv", "any"), revenue=("rev", "sum"), retained=("ret", "any"))
        frame = frame.set_index("id").join(per)
        # Retention needs the 90 days to have passed: entrants too recent for it count as not yet known.
        recent = frame["entered_at"] > pd.Timestamp(now - dt.timedelta(days=RETENTION_DAYS))
        frame = frame.reset_index()
        retention_frame = frame[~recent.to_numpy()]
    result = compare(frame, retained_col=None)
    if not frame.empty and len(retention_frame):
        result["retention"] = compare(retention_frame, retained_col="retained")["retention"]
        result["retention_entrants"] = len(retention_frame)
    return {"journey": journey.key, "conversion_days": journey.conversion_days, "as_of": now.isoformat(),
            "entered_before": closed.isoformat(), **result}


def _orders(journey: Journey, closed: dt.datetime) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.customer_id, o.placed_at, o.total FROM {ORDERS} o WHERE o.status = 'completed' AND o.customer_id IN "
            f"(SELECT customer_id FROM {ENROLLMENTS} WHERE journey_id = %s AND entered_at <= %s) AND o.placed_at > "
            f"(SELECT MIN(entered_at) FROM {ENROLLMENTS} WHERE journey_id = %s)",
            [journey.pk, sql.timestamp(closed), journey.pk])
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=["customer_id", "placed_at", "total"])
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True, format="mixed")
    frame["total"] = frame["total"].astype(float)
    return frame


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 100:.1f}%"


def _num(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.2f}"


def verdict(conversion: dict) -> str:
    low, high = conversion.get("low"), conversion.get("high")
    if low is None or high is None or any(isinstance(x, float) and math.isnan(x) for x in (low, high)):
        return "not enough entrants yet to measure"
    if low > 0:
        return "the journey raises conversion (the interval is above zero)"
    if high < 0:
        return "the journey lowers conversion (the interval is below zero)"
    return "the interval includes zero: no uplift shown yet"


def as_text(report: dict) -> str:
    lines = [f"{report['journey']}: {report['treated']:,} treated, {report['control']:,} held out "
             f"(entered before {report['entered_before'][:10]}; {report['level']:.0%} intervals)"]
    c = report["conversion"]
    lines.append(f"  conversion within {report['conversion_days']} days: {_pct(c['treated'])} vs {_pct(c['control'])}, "
                 f"uplift {_pct(c['difference'])} [{_pct(c['low'])}, {_pct(c['high'])}]")
    r = report["revenue_per_entrant"]
    lines.append(f"  revenue per entrant: {_num(r['treated'])} vs {_num(r['control'])}, "
                 f"uplift {_num(r['difference'])} [{_num(r['low'])}, {_num(r['high'])}]")
    if "retention" in report:
        k = report["retention"]
        lines.append(f"  retained ({RETENTION_DAYS} days): {_pct(k['treated'])} vs {_pct(k['control'])}, "
                     f"uplift {_pct(k['difference'])} [{_pct(k['low'])}, {_pct(k['high'])}]")
    lines.append(f"  {verdict(c)}")
    return "\n".join(lines)
