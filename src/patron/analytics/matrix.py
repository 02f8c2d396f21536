"""The loyalty matrix after Dick and Basu (1994): how a customer behaves against how they feel.

Behavioural loyalty is high when the customer buys repeatedly (at least `min_orders` orders in the
window), recently (the last order at most `recent_days` ago) and has been a customer for a while
(first order at least `min_tenure_days` ago). Attitudinal loyalty is high when their latest survey
answer is positive (NPS 9-10, or CSAT 4-5) and they have not complained in the window. Without any
answer the attitude is unknown and counts as low: attachment needs evidence (`attitude_known` says which).

    behavioural high + attitudinal high  -> loyal
    behavioural low  + attitudinal high  -> latent
    behavioural high + attitudinal low   -> spurious (a "regular": buys often, would switch)
    behavioural low  + attitudinal low   -> none
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from patron.analytics import engine as eng
from patron.analytics import frames
from patron.analytics.frames import AnalyticsError

QUADRANTS = ("loyal", "latent", "spurious", "none")


def loyalty_matrix(
    orders: Any,
    customer_id_col: str,
    datetime_col: str,
    as_of=None,
    window_days: int = 365,
    min_orders: int = 2,
    recent_days: int = 180,
    min_tenure_days: int = 90,
    surveys: Any = None,
    survey_customer_col: str = "customer_id",
    survey_kind_col: str = "kind",
    survey_score_col: str = "score",
    survey_time_col: str = "answered_at",
    complaints: Any = None,
    complaint_customer_col: str = "customer_id",
    complaint_time_col: str = "opened_at",
    engine: str = "duckdb",
    spark=None,
) -> pd.DataFrame:
    """Indexed by customer: orders_in_window, days_since_last, tenure_days, behavioural (bool), latest_kind,
    latest_score, complaints, attitude_known, attitudinal (bool), quadrant."""
    for name, value in (("window_days", window_days), ("min_orders", min_orders), ("recent_days", recent_days),
                        ("min_tenure_days", min_tenure_days)):
        if not isinstance(value, int) or value < 0:
            raise AnalyticsError(f"{name} must be a whole number, 0 or more, not {value!r}")
    d = eng.dialect(engine)
    orders, rows = frames.purchase_rows(orders, "orders", customer_id_col, datetime_col, engine=engine)
    when = eng.as_datetime(as_of, "as_of") or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    now, since = d.timestamp(when), d.timestamp(when - dt.timedelta(days=window_days))
    inputs: dict[str, Any] = {"orders": orders}
    sql = (
        f"WITH b AS (SELECT customer_id,"
        f" SUM(CASE WHEN ts >= {since} THEN 1 ELSE 0 END) AS orders_in_window,"
        f" FLOOR(({d.epoch(now)} - {d.epoch('MAX(ts)')}) / 86400.0) AS days_since_last,"
        f" FLOOR(({d.epoch(now)} - {d.epoch('MIN(ts)')}) / 86400.0) AS tenure_days"
        f" FROM ({rows}) o WHERE ts < {now} GROUP BY customer_id)"
    )
    latest = f"SELECT CAST(NULL AS {d.text}) AS customer_id, CAST(NULL AS {d.text}) AS kind, CAST(NULL AS DOUBLE) AS score WHERE 1 = 0"
    if surveys is not None:
        surveys = frames.materialize(surveys)
        sschema = frames.arrow_schema(surveys)
        frames.check_columns(sschema, "surveys", survey_customer_col=(survey_customer_col, "any"), survey_kind_col=(survey_kind_col, "any"),
                             survey_score_col=(survey_score_col, "number"), survey_time_col=(survey_time_col, "time"))
        sts = frames.time_expression(sschema, survey_time_col, None, engine)
        inputs["surveys"] = surveys
        latest = (
            f"SELECT customer_id, kind, score FROM (SELECT {d.quote(survey_customer_col)} AS customer_id,"
            f" lower({d.quote(survey_kind_col)}) AS kind, CAST({d.quote(survey_score_col)} AS DOUBLE) AS score,"
            f" ROW_NUMBER() OVER (PARTITION BY {d.quote(survey_customer_col)} ORDER BY {sts} DESC) AS n"
            f" FROM surveys WHERE {sts} < {now} AND {d.quote(survey_score_col)} IS NOT NULL) x WHERE n = 1"
        )
    complained = f"SELECT CAST(NULL AS {d.text}) AS customer_id, 0 AS complaints WHERE 1 = 0"
    if complaints is not None:
        complaints = frames.materialize(complaints)
        cschema = frames.arrow_schema(complaints)
        frames.check_columns(cschema, "complaints", complaint_customer_col=(complaint_customer_col, "any"),
                             complaint_time_col=(complaint_time_col, "time"))
        cts = frames.time_expression(cschema, complaint_time_col, None, engine)
        inputs["complaints"] = complaints
        complained = (
            f"SELECT {d.quote(complaint_customer_col)} AS customer_id, COUNT(*) AS complaints FROM complaints"
            f" WHERE {cts} >= {since} AND {cts} < {now} GROUP BY {d.quote(complaint_customer_col)}"
        )
    sql += (
        f", a AS ({latest}), k AS ({complained})"
        f" SELECT b.customer_id, b.orders_in_window, b.days_since_last, b.tenure_days, a.kind AS latest_kind,"
        f" a.score AS latest_score, COALESCE(k.complaints, 0) AS complaints"
        f" FROM b LEFT JOIN a ON CAST(a.customer_id AS {d.text}) = CAST(b.customer_id AS {d.text})"
        f" LEFT JOIN k ON CAST(k.customer_id AS {d.text}) = CAST(b.customer_id AS {d.text}) ORDER BY b.customer_id"
    )
    out = eng.run(engine, sql, inputs, spark).set_index("customer_id")
    out.index.name = customer_id_col
    for column in ("orders_in_window", "days_since_last", "tenure_days", "complaints"):
        out[column] = out[column].astype("int64")
    out["behavioural"] = (
        (out["orders_in_window"] >= min_orders) & (out["days_since_last"] <= recent_days) & (out["tenure_days"] >= min_tenure_days)
    )
    positive = ((out["latest_kind"] == "nps") & (out["latest_score"] >= 9)) | ((out["latest_kind"] == "csat") & (out["latest_score"] >= 4))
    out["attitude_known"] = out["latest_kind"].notna() | (out["complaints"] > 0)
    out["attitudinal"] = positive.fillna(False).astype(bool) & (out["complaints"] == 0)
    beh, att = out["behavioural"].to_numpy(), out["attitudinal"].to_numpy()
    out["quadrant"] = np.select([beh & att, ~beh & att, beh & ~att], ["loyal", "latent", "spurious"], "none")
    return out

