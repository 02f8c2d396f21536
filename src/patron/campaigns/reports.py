"""A journey's measured uplift: its treated entrants against the held-out control group."""

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
from django.conf import settings
from django.db import connection
from django.utils import timezone

from patron.analytics.uplift import compare
from patron.campaigns.models import Enrollment, Journey
from patron.commerce.models import Order
from patron.core import sql
from patron.insights import money
from patron.messaging.models import Click

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
            f"SELECT o.customer_id, o.placed_at, o.total, o.currency FROM {ORDERS} o WHERE o.status = 'completed' "
            f"AND o.customer_id IN (SELECT customer_id FROM {ENROLLMENTS} WHERE journey_id = %s AND entered_at <= %s) "
            f"AND o.placed_at > (SELECT MIN(entered_at) FROM {ENROLLMENTS} WHERE journey_id = %s)",
            [journey.pk, sql.timestamp(closed), journey.pk])
        rows = cursor.fetchall()
    return _in_reporting_currency(rows)


def _in_reporting_currency(rows: list[tuple]) -> pd.DataFrame:
    """(customer_id, placed_at, total, currency) rows as a frame with the totals in the reporting currency; an
    order without a rate that day is left out of the money (its total is NaN: summed as nothing, and not counted
    as revenue)."""
    frame = pd.DataFrame(rows, columns=["customer_id", "placed_at", "total", "currency"])
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True, format="mixed")
    if frame.empty:
        return frame.assign(total=frame["total"].astype(float))
    table = pa.table({"customer_id": pa.array(frame["customer_id"], pa.int64()),
                      "placed_at": pa.array(frame["placed_at"].dt.tz_convert(None), pa.timestamp("us")),
                      "value": pa.array(frame["total"].astype(float), pa.float64()), "currency": pa.array(frame["currency"], pa.string())})
    frame["total"] = money.to_reporting(table).orders["value"].to_numpy(zero_copy_only=False)
    return frame


def clicks(journey: Journey, now: dt.datetime | None = None) -> dict:
    """Clicks on the journey's messages and the orders that followed one within PATRON_ATTRIBUTION_DAYS: each order
    once, to the latest click before it; revenue in the reporting currency, per journey and per message (a step's
    template). Beside the held-out uplift, which stays the measure of what the journey caused."""
    now = now or timezone.now()
    window = dt.timedelta(days=settings.PATRON_ATTRIBUTION_DAYS)
    found = pd.DataFrame.from_records(
        Click.objects.filter(message__journey=journey).values("message_id", "message__template", "message__customer_id", "first_at"),
        columns=["message_id", "message__template", "message__customer_id", "first_at"])
    report = {"journey": journey.key, "attribution_days": window.days, "currency": settings.PATRON_REPORTING_CURRENCY,
              "clicks": len(found), "messages_clicked": int(found["message_id"].nunique()) if len(found) else 0,
              "orders": 0, "revenue": 0.0, "by_message": []}
    if found.empty:
        return report
    found = found.rename(columns={"message__template": "template", "message__customer_id": "customer_id"})
    found["first_at"] = pd.to_datetime(found["first_at"], utc=True, format="mixed")
    with connection.cursor() as cursor:
        customers = sorted(set(found["customer_id"]))
        marks = ", ".join(["%s"] * len(customers))
        cursor.execute(f"SELECT o.id, o.customer_id, o.placed_at, o.total, o.currency FROM {ORDERS} o WHERE o.status = 'completed' "
                       f"AND o.placed_at > %s AND o.customer_id IN ({marks})",
                       [sql.timestamp(found["first_at"].min().to_pydatetime()), *customers])
        rows = cursor.fetchall()
    orders = _in_reporting_currency([row[1:] for row in rows]).assign(order_id=[row[0] for row in rows])
    joined = orders.merge(found, on="customer_id")
    joined = joined[(joined["placed_at"] > joined["first_at"]) & (joined["placed_at"] <= joined["first_at"] + window)]
    joined = joined.sort_values("first_at").groupby("order_id").tail(1)  # the latest click before the order
    per = found.groupby("template").agg(clicks=("message_id", "size"))
    bought = joined.groupby("template").agg(orders=("order_id", "size"), revenue=("total", "sum"))
    per = per.join(bought).fillna({"orders": 0, "revenue": 0.0})
    report.update(orders=len(joined), revenue=round(float(joined["total"].sum()), 2), by_message=[
        {"template": t, "clicks": int(r.clicks), "orders": int(r.orders), "revenue": round(float(r.revenue), 2)}
        for t, r in per.iterrows()])
    return report


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
