"""RFM scores (1-5 by quintile) and the named segments on the recency x frequency grid.

Scores come from each customer's percentile among all customers (percent_rank), so customers with
the same value always share a score and the result does not depend on row order: recency in days
since the last purchase (fewer days, higher score), frequency as the number of orders, monetary as
the total spent. The segment is read from R and F on the grid in SEGMENT_GRID (docs/kpis.md).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from patron.analytics import engine as eng
from patron.analytics import frames

# The two segments of good customers gone quiet, named here because other code asks for them by name.
AT_RISK = "At risk"
CANT_LOSE = "Can't lose them"
SEGMENTS = (
    "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost",
)

# SEGMENT_GRID[r - 1][f - 1]: the segment of recency score r and frequency score f.
SEGMENT_GRID = (
    ("Lost", "Hibernating", "At risk", "At risk", "Can't lose them"),                                   # R = 1
    ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),                            # R = 2
    ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),                           # R = 3
    ("Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Loyal"),                      # R = 4
    ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),                    # R = 5
)


def segment_of(r_score: int, f_score: int) -> str:
    return SEGMENT_GRID[r_score - 1][f_score - 1]


def rfm_scores(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str,
    as_of=None,
    datetime_format: str | None = None,
    engine: str = "duckdb",
    spark=None,
) -> pd.DataFrame:
    """Indexed by customer: recency_days, frequency, monetary, r_score, f_score, m_score, rfm (e.g. '545'), segment.

    Only purchases before `as_of` count (default: the moment after the last purchase, so the latest
    buyer has recency 0).
    """
    d = eng.dialect(engine)
    transactions, rows = frames.purchase_rows(transactions, "transactions", customer_id_col, datetime_col, monetary_value_col,
                                              datetime_format=datetime_format, engine=engine)
    when = eng.as_datetime(as_of, "as_of")
    cutoff = f"r.ts < {d.timestamp(when)}" if when else "r.ts IS NOT NULL"
    reference = d.timestamp(when) if when else f"(SELECT MAX(ts) FROM ({rows}) x)"

    def score(expr: str, descending: bool = False) -> str:
        order = f"{expr} DESC" if descending else expr
        return f"LEAST(5, 1 + CAST(FLOOR(percent_rank() OVER (ORDER BY {order}) * 5) AS INT))"

    sql = (
        f"WITH c AS (SELECT customer_id, FLOOR(({d.epoch(reference)} - {d.epoch('MAX(r.ts)')}) / 86400.0) AS recency_days,"
        f" COUNT(*) AS frequency, SUM(value) AS monetary FROM ({rows}) r WHERE {cutoff} GROUP BY customer_id)"
        f" SELECT customer_id, recency_days, frequency, monetary,"
        f" {score('recency_days', descending=True)} AS r_score, {score('frequency')} AS f_score, {score('monetary')} AS m_score"
        f" FROM c ORDER BY customer_id"
    )
    out = eng.run(engine, sql, {"transactions": transactions}, spark).set_index("customer_id")
    out.index.name = customer_id_col
    for column in ("recency_days", "frequency", "r_score", "f_score", "m_score"):
        out[column] = out[column].astype("int64")
    out["rfm"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    grid = pd.Series({(r, f): segment_of(r, f) for r in range(1, 6) for f in range(1, 6)})
    out["segment"] = grid.reindex(pd.MultiIndex.from_arrays([out["r_score"], out["f_score"]])).to_numpy()
    return out
