"""A journey's measured uplift: its treated entrants against the held-out control group."""

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from patron.analytics import pooled
from patron.analytics.uplift import compare
from patron.campaigns import variants
from patron.campaigns.models import Enrollment, Journey
from patron.commerce.models import Order
from patron.core import sql
from patron.insights import money
from patron.messaging.models import Click, Message

# Tables read or written by the SQL below, by their models.
ENROLLMENTS = Enrollment._meta.db_table
ORDERS = Order._meta.db_table
MESSAGES, CLICKS = Message._meta.db_table, Click._meta.db_table

RETENTION_DAYS = 90
ARMS = Enrollment.Arm


def outcomes(journeys: list[Journey], now: dt.datetime) -> pd.DataFrame:
    """One row per entrant of any of `journeys` whose conversion window has closed: id, journey_id, customer_id, arm,
    variant, entered_at, converted (an order within the journey's conversion days), revenue (those orders' total in
    the reporting currency), retained (an order within 90 days) and known_retention (the 90 days have passed)."""
    columns = ["id", "journey_id", "customer_id", "arm", "variant", "entered_at"]
    closed = Q(pk__in=[])
    for journey in journeys:
        closed |= Q(journey=journey, entered_at__lte=now - dt.timedelta(days=journey.conversion_days))
    frame = pd.DataFrame.from_records(Enrollment.objects.filter(closed).values(*columns), columns=columns)
    if frame.empty:
        return frame.assign(converted=pd.Series(dtype=bool), revenue=pd.Series(dtype=float),
                            retained=pd.Series(dtype=bool), known_retention=pd.Series(dtype=bool))
    frame["entered_at"] = pd.to_datetime(frame["entered_at"], utc=True, format="mixed")
    days = frame["journey_id"].map({journey.pk: journey.conversion_days for journey in journeys})
    frame["window_end"] = frame["entered_at"] + pd.to_timedelta(days, unit="D")
    joined = frame.merge(_orders([journey.pk for journey in journeys], now), on="customer_id", how="left")
    after = joined["placed_at"] > joined["entered_at"]
    within = after & (joined["placed_at"] <= joined["window_end"])
    joined["conv"] = within
    joined["rev"] = joined["total"].where(within, 0.0).fillna(0.0)
    joined["ret"] = after & (joined["placed_at"] <= joined["entered_at"] + pd.Timedelta(days=RETENTION_DAYS))
    per = joined.groupby("id").agg(converted=("conv", "any"), revenue=("rev", "sum"), retained=("ret", "any"))
    frame = frame.drop(columns="window_end").set_index("id").join(per).reset_index()
    # Retention needs the 90 days to have passed: entrants too recent for it count as not yet known.
    frame["known_retention"] = frame["entered_at"] <= pd.Timestamp(now - dt.timedelta(days=RETENTION_DAYS))
    return frame


def uplift(journey: Journey, now: dt.datetime | None = None, frame: pd.DataFrame | None = None) -> dict:
    """Conversion (an order within the journey's conversion days), revenue in that window per entrant,
    and retention (an order within 90 days), over the entrants whose windows have closed (`frame`: the journey's
    outcomes, read when not given)."""
    now = now or timezone.now()
    closed = now - dt.timedelta(days=journey.conversion_days)
    frame = outcomes([journey], now) if frame is None else frame
    result = compare(frame, retained_col=None)
    retention_frame = frame[frame["known_retention"]]
    if len(retention_frame):
        result["retention"] = compare(retention_frame, retained_col="retained")["retention"]
        result["retention_entrants"] = len(retention_frame)
    return {"journey": journey.key, "conversion_days": journey.conversion_days, "as_of": now.isoformat(),
            "entered_before": closed.isoformat(), **result}


def full(journey: Journey, now: dt.datetime | None = None) -> dict:
    """What `patron journeys report` shows: the held-out uplift (the headline), the same estimated by the pooled model
    across every journey and month, the variants' comparison, and what followed a click."""
    return every(now, [journey])[journey.pk]


def every(now: dt.datetime | None = None, journeys: list[Journey] | None = None) -> dict[int, dict]:
    """`full` for each of `journeys` (by default every journey anyone entered), by id, the outcomes read once."""
    now = now or timezone.now()
    entered = list(Journey.objects.filter(pk__in=Enrollment.objects.order_by().values("journey_id").distinct()))
    journeys = entered if journeys is None else journeys
    frame = outcomes(list({j.pk: j for j in [*entered, *journeys]}.values()), now)
    clicked = clicks_of(journeys, now)
    cells = pooled_cells(frame)
    out = {}
    for journey in journeys:
        mine = frame[frame["journey_id"] == journey.pk]
        out[journey.pk] = {**uplift(journey, now, mine), "pooled": pooled_uplift(journey, cells),
                           "variants": variants.report(journey, mine, now), "clicks": clicked[journey.pk]}
    return out


def pooled_cells(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict] | None:
    """The pooled model's cells from every journey's outcomes (`outcomes`), once for all the journeys it estimates:
    each journey's arm by month with its entrants (n) and conversions (x), the pools of treated and held-out cells,
    and each cell's converters' revenue. None when nobody's window has closed."""
    if frame.empty:
        return None
    frame = frame.assign(cell=frame["journey_id"].astype(str) + " " + frame["arm"] + " "
                         + frame["entered_at"].dt.strftime("%Y-%m"))
    counted = frame.groupby("cell").agg(arm=("arm", "first"), journey_id=("journey_id", "first"),
                                        n=("id", "size"), x=("converted", "sum"))
    paid = frame[frame["converted"] & (frame["revenue"] > 0)].groupby("cell")["revenue"].apply(lambda v: v.to_numpy(float))
    pools = {arm: {cell: (int(r.n), int(r.x)) for cell, r in counted[counted["arm"] == arm].iterrows()}
             for arm in (ARMS.TREATED, ARMS.HOLDOUT)}
    return counted, pools, paid.to_dict()


def pooled_uplift(journey: Journey, cells: tuple[pd.DataFrame, dict, dict] | None, *, level: float = 0.90,
                  seed: int = 0) -> dict | None:
    """The journey's uplift in conversion and revenue per entrant by the pooled model (analytics.pooled): every
    journey's treated entrants by month are one pool of cells, their held-out ones another (`pooled_cells`), and the
    journey is the sum of its own cells. A journey with few entrants borrows from the others and from its own earlier
    months. None until the journey has both treated and held-out entrants whose windows have closed."""
    if cells is None:
        return None
    counted, pools, paid = cells
    mine = counted[counted["journey_id"] == journey.pk]
    combine = {f"{arm} of the journey": list(mine.index[mine["arm"] == arm]) for arm in (ARMS.TREATED, ARMS.HOLDOUT)}
    if not all(combine.values()):
        return None
    treated, control = combine
    result = pooled.compare([pools[ARMS.TREATED], pools[ARMS.HOLDOUT]], [(treated, control)], level=level, seed=seed,
                            spend=paid, combine=combine)
    row = result["comparisons"][0]
    revenue = row.pop("revenue")
    return {"level": level, "journeys": int(counted["journey_id"].nunique()), "cells": len(counted),
            "conversion": {k: row[k] for k in ("difference", "low", "high", "probability_better", "expected_loss")},
            "revenue_per_entrant": revenue and {k: revenue[k] for k in ("difference", "low", "high", "probability_better",
                                                                        "expected_loss")}}


def _orders(journeys: list[int], now: dt.datetime) -> pd.DataFrame:
    """The completed orders, up to `now`, of the customers who entered any of `journeys`, since the first entry."""
    marks = ", ".join(["%s"] * len(journeys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.customer_id, o.placed_at, o.total, o.currency FROM {ORDERS} o WHERE o.status = 'completed' "
            f"AND o.placed_at <= %s AND o.customer_id IN (SELECT customer_id FROM {ENROLLMENTS} WHERE journey_id IN ({marks})) "
            f"AND o.placed_at > (SELECT MIN(entered_at) FROM {ENROLLMENTS} WHERE journey_id IN ({marks}))",
            [sql.timestamp(now), *journeys, *journeys])
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
    """Clicks on the journey's messages and the orders that followed one within PATRON_ATTRIBUTION_DAYS (clicks_of)."""
    return clicks_of([journey], now)[journey.pk]


def clicks_of(journeys: list[Journey], now: dt.datetime | None = None) -> dict[int, dict]:
    """For each of `journeys` (by id): clicks on its messages and the orders that followed one within
    PATRON_ATTRIBUTION_DAYS, revenue in the reporting currency, per journey and per message (a step's template).
    Each order counts once, for the latest click before it among every journey's messages, so two journeys never
    both claim it. Beside the held-out uplift, which stays the measure of what a journey caused."""
    now = now or timezone.now()
    window = dt.timedelta(days=settings.PATRON_ATTRIBUTION_DAYS)
    columns = ["message_id", "message__journey_id", "message__template", "message__customer_id", "first_at"]
    found = pd.DataFrame.from_records(Click.objects.filter(message__journey__isnull=False, first_at__lte=now).values(*columns),
                                      columns=columns)
    found.columns = ["message_id", "journey_id", "template", "customer_id", "first_at"]
    reports = {journey.pk: {"journey": journey.key, "attribution_days": window.days,
                            "currency": settings.PATRON_REPORTING_CURRENCY, "clicks": 0, "messages_clicked": 0,
                            "orders": 0, "revenue": 0.0, "by_message": []} for journey in journeys}
    if settings.PATRON_TRACK_OPENS:  # emails whose image was loaded: a floor of machine opens, not readers (clicks)
        opened = dict(Message.objects.filter(journey__in=list(reports), opened_at__isnull=False).order_by()
                      .values_list("journey").annotate(n=Count("id")))
        for pk, report in reports.items():
            report["messages_opened"] = opened.get(pk, 0)
    if found.empty:
        return reports
    found["first_at"] = pd.to_datetime(found["first_at"], utc=True, format="mixed")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT o.id, o.customer_id, o.placed_at, o.total, o.currency FROM {ORDERS} o WHERE o.status = 'completed' "
                       f"AND o.placed_at > %s AND o.placed_at <= %s AND o.customer_id IN (SELECT m.customer_id FROM {MESSAGES} m "
                       f"JOIN {CLICKS} c ON c.message_id = m.id WHERE m.journey_id IS NOT NULL)",
                       [sql.timestamp(found["first_at"].min().to_pydatetime()), sql.timestamp(now)])
        rows = cursor.fetchall()
    orders = _in_reporting_currency([row[1:] for row in rows]).assign(order_id=[row[0] for row in rows])
    joined = orders.merge(found, on="customer_id")
    joined = joined[(joined["placed_at"] > joined["first_at"]) & (joined["placed_at"] <= joined["first_at"] + window)]
    joined = joined.sort_values("first_at").groupby("order_id").tail(1)  # the latest click before the order
    for pk, report in reports.items():
        mine, bought = found[found["journey_id"] == pk], joined[joined["journey_id"] == pk]
        if mine.empty:
            continue
        per = mine.groupby("template").agg(clicks=("message_id", "size")).join(
            bought.groupby("template").agg(orders=("order_id", "size"), revenue=("total", "sum"))).fillna({"orders": 0, "revenue": 0.0})
        report.update(clicks=len(mine), messages_clicked=int(mine["message_id"].nunique()), orders=len(bought),
                      revenue=round(float(bought["total"].sum()), 2), by_message=[
                          {"template": t, "clicks": int(r.clicks), "orders": int(r.orders), "revenue": round(float(r.revenue), 2)}
                          for t, r in per.iterrows()])
    return reports


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
    if report.get("pooled"):
        p = report["pooled"]
        lines.append(f"  pooled over {p['journeys']} journeys by month ({p['level']:.0%} intervals): conversion uplift "
                     f"{_pct(p['conversion']['difference'])} [{_pct(p['conversion']['low'])}, {_pct(p['conversion']['high'])}], "
                     f"probability it helps {p['conversion']['probability_better']:.1%}, "
                     f"expected loss if it does not {_pct(p['conversion']['expected_loss'])}")
        if p["revenue_per_entrant"]:
            r = p["revenue_per_entrant"]
            lines.append(f"    revenue per entrant {_num(r['difference'])} [{_num(r['low'])}, {_num(r['high'])}], "
                         f"probability it helps {r['probability_better']:.1%}")
    if report.get("variants"):
        v = report["variants"]
        chosen = f"winner {v['winner']} since {v['winner_at'][:10]}" if v["winner"] else (
            f"chosen automatically at {v['probability']:.1%} with {v['minimum']:,} per variant" if v["auto_winner"]
            else "no winner chosen")
        lines.append(f"  variants ({chosen}):")
        for row in v["variants"]:
            best = f", probability best {row['probability_best']:.1%}" if "probability_best" in row else ""
            lines.append(f"    {row['variant']}: {row['recipients']:,} recipients, conversion {_pct(row['conversion'])}, "
                         f"revenue per recipient {_num(row['revenue_per_recipient'])}{best}")
    return "\n".join(lines)
