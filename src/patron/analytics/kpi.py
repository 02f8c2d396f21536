"""Retention KPIs for a period, with the standard formulas and the counts behind each.

Who counts (docs/kpis.md has the worked example): a customer is *active* at an instant when they
bought in the `window_days` before it. S is the customers active when the period starts, E those
active when it ends; new customers are those in E who were not in S (first-time buyers and won-back
customers, reported apart), lost customers those in S who are not in E. So
retention rate = (E - N) / S x 100 and churn rate = lost / S x 100 add up to 100.
The period runs from `start` to `end`, both whole days (UTC) and both included.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.analytics import engine as eng
from patron.analytics import frames
from patron.analytics.frames import AnalyticsError

KEYS = (
    "customer_retention_rate", "churn_rate", "nps", "csat", "clv", "repeat_purchase_rate", "average_order_value",
    "purchase_frequency", "customers_start", "customers_end", "new_customers", "lost_customers",
)


def period_bounds(start, end) -> tuple[dt.datetime, dt.datetime]:
    """[start, end] as whole days: the instant the first begins and the instant after the last ends."""
    first, last = eng.as_datetime(start, "start"), eng.as_datetime(end, "end")
    if first is None or last is None:
        raise AnalyticsError("a KPI period needs both start and end")
    first = dt.datetime(first.year, first.month, first.day)
    after = dt.datetime(last.year, last.month, last.day) + dt.timedelta(days=1)
    if after <= first:
        raise AnalyticsError(f"end ({last:%Y-%m-%d}) comes before start ({first:%Y-%m-%d})")
    return first, after


def kpis(
    orders: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str,
    start,
    end,
    window_days: int = 365,
    surveys: Any = None,
    survey_kind_col: str = "kind",
    survey_score_col: str = "score",
    survey_time_col: str = "answered_at",
    datetime_format: str | None = None,
    engine: str = "duckdb",
    spark=None,
) -> dict:
    """The KPIs of the period as a dict (keys in KEYS, plus the counts behind them); None where there is no data.

    `orders` has one row per order (its value net of refunds, cancelled orders left out by the caller; a missing value,
    such as an amount in a currency without a rate, counts as an order and not as money: revenue and AOV leave it out);
    `surveys`, when given, one row per answer with kind 'nps' (0-10) or 'csat' (1-5).
    """
    if not isinstance(window_days, int) or window_days < 1:
        raise AnalyticsError(f"window_days must be a whole number of days, at least 1, not {window_days!r}")
    first, after = period_bounds(start, end)
    d = eng.dialect(engine)
    orders, rows = frames.purchase_rows(orders, "orders", customer_id_col, datetime_col, monetary_value_col,
                                        datetime_format=datetime_format, engine=engine)
    window = dt.timedelta(days=window_days)
    lit = d.timestamp
    sql = (
        f"WITH o AS ({rows}),"
        f" per AS (SELECT customer_id, MIN(ts) AS first_ts,"
        f"  MAX(CASE WHEN ts >= {lit(first - window)} AND ts < {lit(first)} THEN 1 ELSE 0 END) AS at_start,"
        f"  MAX(CASE WHEN ts >= {lit(after - window)} AND ts < {lit(after)} THEN 1 ELSE 0 END) AS at_end,"
        f"  SUM(CASE WHEN ts >= {lit(first)} THEN 1 ELSE 0 END) AS orders_in,"
        # An order without a value (its currency had no rate) counts as an order, not as money.
        f"  SUM(CASE WHEN ts >= {lit(first)} AND value IS NOT NULL THEN 1 ELSE 0 END) AS priced_in,"
        f"  SUM(CASE WHEN ts >= {lit(first)} AND value IS NOT NULL THEN value ELSE 0 END) AS revenue_in"
        f"  FROM o WHERE ts < {lit(after)} GROUP BY customer_id)"
        f" SELECT COALESCE(SUM(at_start), 0) AS s, COALESCE(SUM(at_end), 0) AS e,"
        f" COALESCE(SUM(CASE WHEN at_end = 1 AND at_start = 0 THEN 1 ELSE 0 END), 0) AS n,"
        f" COALESCE(SUM(CASE WHEN at_end = 1 AND at_start = 0 AND first_ts >= {lit(first)} THEN 1 ELSE 0 END), 0) AS acquired,"
        f" COALESCE(SUM(CASE WHEN at_start = 1 AND at_end = 0 THEN 1 ELSE 0 END), 0) AS lost,"
        f" COALESCE(SUM(orders_in), 0) AS orders, COALESCE(SUM(priced_in), 0) AS priced, COALESCE(SUM(revenue_in), 0) AS revenue,"
        f" COALESCE(SUM(CASE WHEN orders_in > 0 THEN 1 ELSE 0 END), 0) AS purchasers,"
        f" COALESCE(SUM(CASE WHEN orders_in > 1 THEN 1 ELSE 0 END), 0) AS repeaters"
        f" FROM per"
    )
    inputs = {"orders": orders}
    if surveys is not None:
        surveys = frames.materialize(surveys)
        sschema = frames.arrow_schema(surveys)
        frames.check_columns(sschema, "surveys", survey_kind_col=(survey_kind_col, "any"),
                             survey_score_col=(survey_score_col, "number"), survey_time_col=(survey_time_col, "time"))
        sts = frames.time_expression(sschema, survey_time_col, None, engine)
        kind, score = f"lower({d.quote(survey_kind_col)})", d.quote(survey_score_col)
        sql = (
            f"WITH k AS ({sql}), a AS (SELECT {kind} AS kind, {score} AS score FROM surveys"
            f" WHERE {sts} >= {lit(first)} AND {sts} < {lit(after)} AND {score} IS NOT NULL)"
            f" SELECT k.*,"
            f" (SELECT COUNT(*) FROM a WHERE kind = 'nps') AS nps_answers,"
            f" (SELECT COUNT(*) FROM a WHERE kind = 'nps' AND score >= 9) AS promoters,"
            f" (SELECT COUNT(*) FROM a WHERE kind = 'nps' AND score <= 6) AS detractors,"
            f" (SELECT COUNT(*) FROM a WHERE kind = 'csat') AS csat_answers,"
            f" (SELECT COUNT(*) FROM a WHERE kind = 'csat' AND score >= 4) AS satisfied"
            f" FROM k"
        )
        inputs["surveys"] = surveys
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in eng.run(engine, sql, inputs, spark).iloc[0].items()}
    return _formulas(row, (after - first).days, window_days)


def _pct(part, whole) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _formulas(c: dict, period_days: int, window_days: int) -> dict:
    s, e, n, lost = (int(c[k]) for k in ("s", "e", "n", "lost"))
    orders, purchasers, priced = int(c["orders"]), int(c["purchasers"]), int(c["priced"])
    aov = c["revenue"] / priced if priced else None  # over the orders with a value
    frequency = orders / purchasers if purchasers else None
    churn = lost / s if s else None
    # Simple CLV: value per period x periods a customer stays (1 / churn per period).
    lifespan = 1 / churn if churn else None
    nps_answers, csat_answers = int(c.get("nps_answers") or 0), int(c.get("csat_answers") or 0)
    return {
        "customer_retention_rate": _pct(e - n, s),
        "churn_rate": _pct(lost, s),
        "nps": round(100 * (c["promoters"] - c["detractors"]) / nps_answers, 2) if nps_answers else None,
        "csat": _pct(c.get("satisfied", 0), csat_answers),
        "clv": round(aov * frequency * lifespan, 2) if aov is not None and lifespan else None,
        "repeat_purchase_rate": _pct(int(c["repeaters"]), purchasers),
        "average_order_value": round(aov, 2) if aov is not None else None,
        "purchase_frequency": round(frequency, 4) if frequency is not None else None,
        "customers_start": s,
        "customers_end": e,
        "new_customers": n,
        "lost_customers": lost,
        "first_time_customers": int(c["acquired"]),
        "reactivated_customers": n - int(c["acquired"]),
        "orders": orders,
        "orders_without_value": orders - priced,
        "revenue": round(float(c["revenue"]), 2),
        "purchasing_customers": purchasers,
        "average_lifespan_days": round(lifespan * period_days, 1) if lifespan else None,
        "nps_answers": nps_answers,
        "csat_answers": csat_answers,
        "period_days": period_days,
        "window_days": window_days,
    }
