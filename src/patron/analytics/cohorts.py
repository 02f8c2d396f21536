"""Monthly acquisition cohorts: of the customers who first bought in a month, how many bought again k months later."""

from __future__ import annotations

from typing import Any

import pandas as pd

from patron.analytics import engine as eng
from patron.analytics import frames


def cohort_retention(
    orders: Any,
    customer_id_col: str,
    datetime_col: str,
    since=None,
    until=None,
    datetime_format: str | None = None,
    engine: str = "duckdb",
    spark=None,
) -> pd.DataFrame:
    """One row per (cohort, months_since_first): cohort (first day of the month of the first purchase),
    months_since_first (0 is the cohort month itself), customers (who bought in that month), cohort_size
    and rate (customers / cohort_size). Cohorts are limited to first purchases in [since, until]; every
    later purchase counts towards them.
    """
    orders = frames.materialize(orders)
    schema = frames.arrow_schema(orders)
    frames.check_columns(schema, "orders", customer_id_col=(customer_id_col, "any"), datetime_col=(datetime_col, "time"))
    d = eng.dialect(engine)
    ts = frames.time_expression(schema, datetime_col, datetime_format, engine)
    limits = []
    if since is not None:
        limits.append(f"cohort >= date_trunc('month', {d.timestamp(eng.as_datetime(since, 'since'))})")
    if until is not None:
        limits.append(f"cohort <= date_trunc('month', {d.timestamp(eng.as_datetime(until, 'until'))})")
    sql = (
        f"WITH m AS (SELECT {d.quote(customer_id_col)} AS customer_id, date_trunc('month', {ts}) AS month FROM orders"
        f" WHERE {d.quote(customer_id_col)} IS NOT NULL AND {d.quote(datetime_col)} IS NOT NULL GROUP BY 1, 2),"
        f" f AS (SELECT customer_id, MIN(month) AS cohort FROM m GROUP BY customer_id),"
        f" c AS (SELECT f.cohort, {d.months_between('m.month', 'f.cohort')} AS months_since_first, COUNT(*) AS customers"
        f" FROM m JOIN f ON f.customer_id = m.customer_id"
        f" {'WHERE ' + ' AND '.join(limits) if limits else ''} GROUP BY 1, 2)"
        f" SELECT c.cohort, c.months_since_first, c.customers, z.customers AS cohort_size,"
        f" CAST(c.customers AS DOUBLE) / z.customers AS rate"
        f" FROM c JOIN c z ON z.cohort = c.cohort AND z.months_since_first = 0"
        f" ORDER BY c.cohort, c.months_since_first"
    )
    out = eng.run(engine, sql, {"orders": orders}, spark)
    out["cohort"] = pd.to_datetime(out["cohort"]).dt.date
    for column in ("months_since_first", "customers", "cohort_size"):
        out[column] = out[column].astype("int64")
    return out


def cohort_table(cohorts: pd.DataFrame, value: str = "rate") -> pd.DataFrame:
    """The long cohort frame as the familiar triangle: a row per cohort, a column per month since the first."""
    return cohorts.pivot(index="cohort", columns="months_since_first", values=value)
