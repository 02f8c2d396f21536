"""Per-customer transaction summaries: the sufficient statistics of the BG/NBD family of models.

The conventions are those of lifetimes' `summary_data_from_transaction_data`, so that numbers carry
over: times are cut to periods of `freq` (a day by default), purchases in the same period count once
(their values summed), `frequency` is the number of periods with a purchase after the first,
`recency` the time from the first purchase period to the last, `T` the time from the first purchase
period to the end of observation, and `monetary_value` the mean value of the repeat periods (0 for a
customer without repeats, NaN when a repeat purchase has no amount: unknown, not free). Times are in units of `freq` divided by `freq_multiplier` (freq="D",
freq_multiplier=7 gives weeks with fractions, as the BG/NBD paper reports CDNOW).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from patron.analytics import engine as eng
from patron.analytics import frames
from patron.analytics.frames import AnalyticsError

# Period name -> (its length in seconds, the shift that makes periods start where pandas starts them).
# Periods are numbered from 1970-01-01 (a Thursday); weeks start on Monday, as pandas' "W" does.
FREQUENCIES = {"D": (86_400, 0), "W": (604_800, 3 * 86_400), "h": (3_600, 0)}
EPOCH = dt.datetime(1970, 1, 1)


def _period_number(when: dt.datetime, seconds: int, shift: int) -> int:
    return int(((when - EPOCH).total_seconds() + shift) // seconds)


def _unit(freq: str, freq_multiplier) -> tuple[int, int]:
    if freq == "H":
        freq = "h"
    if freq not in FREQUENCIES:
        raise AnalyticsError(f"freq {freq!r} is not supported (expected one of {', '.join(FREQUENCIES)})")
    if not isinstance(freq_multiplier, (int, float)) or freq_multiplier <= 0:
        raise AnalyticsError(f"freq_multiplier must be a positive number, not {freq_multiplier!r}")
    return FREQUENCIES[freq]


def _max_time(transactions, rows: str, engine: str, spark) -> dt.datetime:
    found = eng.run(engine, f"SELECT MAX(ts) AS last FROM ({rows}) r", {"transactions": transactions}, spark)["last"].iloc[0]
    if pd.isna(found):
        raise AnalyticsError("transactions has no rows with both a customer and a time")
    return eng.as_datetime(found, "last transaction")


def _summary_sql(d: eng.Dialect, rows: str, seconds: int, shift: int, multiplier, end: dt.datetime, upto: str,
                 litt: bool = False) -> str:
    """SQL for the summary as of `end`, over the rows whose time satisfies `upto` (on columns ts and period).

    Periods are whole numbers (days since 1970 for "D"), so grouping and differences are integer work. With `litt`,
    also the sum of the logarithms of the times between purchase periods (what the Erlang-k models learn regularity from).
    """
    last = _period_number(end, seconds, shift)
    gap = (f", LN(CAST(period - LAG(period) OVER (PARTITION BY customer_id ORDER BY period) AS DOUBLE) / {float(multiplier)!r}) AS gap"
           if litt else "")
    return (
        f"WITH periods AS ("
        f" SELECT customer_id, period, {_PERIOD_VALUE} AS value"
        f" FROM (SELECT customer_id, ts, value, {d.period('ts', seconds, shift)} AS period FROM ({rows}) r) p"
        f" WHERE {upto} AND period <= {last} GROUP BY customer_id, period),"
        f" marked AS (SELECT customer_id, period, value, period = MIN(period) OVER (PARTITION BY customer_id) AS first{gap} FROM periods)"
        f" SELECT customer_id, CAST(COUNT(*) - 1 AS DOUBLE) AS frequency,"
        + (" COALESCE(SUM(gap), 0) AS litt," if litt else "") +
        f" CAST(MAX(period) - MIN(period) AS DOUBLE) / {float(multiplier)!r} AS recency,"
        f" CAST({last} - MIN(period) AS DOUBLE) / {float(multiplier)!r} AS T,"
        # The mean of the repeat periods' values: 0 without repeats, unknown (NULL) if one of them lacks an amount.
        f" CASE WHEN COUNT(*) = 1 THEN 0 WHEN SUM(CASE WHEN NOT first AND value IS NULL THEN 1 ELSE 0 END) > 0 THEN NULL"
        f" ELSE SUM(CASE WHEN first THEN 0 ELSE value END) / (COUNT(*) - 1) END AS monetary_value"
        f" FROM marked GROUP BY customer_id"
    )


# A period's value: the sum of its purchases, unknown (NULL) if one of them has no amount rather than counted as 0.
_PERIOD_VALUE = "CASE WHEN COUNT(value) < COUNT(*) THEN NULL ELSE SUM(value) END"


def rfm_summary(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None = None,
    observation_period_end=None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: str | None = None,
    engine: str = "duckdb",
    spark=None,
    litt: bool = False,
) -> pd.DataFrame:
    """frequency, recency, T (and monetary_value when a value column is given) per customer; with `litt`, also the sum
    of the logarithms of the times between purchase periods (the Erlang-k models' input, BTYDplus's `litt`).

    Returns a pandas DataFrame indexed by the customer id (named `customer_id_col`), sorted by it.
    Purchases after `observation_period_end` (default: the last purchase) are left out.
    """
    seconds, shift = _unit(freq, freq_multiplier)
    d = eng.dialect(engine)
    transactions, rows = frames.purchase_rows(transactions, "transactions", customer_id_col, datetime_col, monetary_value_col,
                                              datetime_format=datetime_format, engine=engine)
    end = eng.as_datetime(observation_period_end, "observation_period_end") or _max_time(transactions, rows, engine, spark)
    sql = _summary_sql(d, rows, seconds, shift, freq_multiplier, end, "1 = 1", litt) + " ORDER BY customer_id"
    out = eng.run(engine, sql, {"transactions": transactions}, spark)
    return _finish(out, customer_id_col, ["frequency", "recency", "T"] + (["monetary_value"] if monetary_value_col else [])
                   + (["litt"] if litt else []))


def calibration_and_holdout(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end,
    observation_period_end=None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: str | None = None,
    monetary_value_col: str | None = None,
    engine: str = "duckdb",
    spark=None,
    litt: bool = False,
) -> pd.DataFrame:
    """The summary up to `calibration_period_end`, and what each of those customers did after it.

    Columns frequency_cal, recency_cal, T_cal (monetary_value_cal), then frequency_holdout (purchase
    periods in the holdout), duration_holdout (its length in the same units) and, with a value column,
    monetary_value_holdout (the mean value of the holdout purchases), as lifetimes'
    `calibration_and_holdout_data` defines them. Customers first seen in the holdout are not included.
    """
    seconds, shift = _unit(freq, freq_multiplier)
    d = eng.dialect(engine)
    transactions, rows = frames.purchase_rows(transactions, "transactions", customer_id_col, datetime_col, monetary_value_col,
                                              datetime_format=datetime_format, engine=engine)
    calibration_end = eng.as_datetime(calibration_period_end, "calibration_period_end")
    end = eng.as_datetime(observation_period_end, "observation_period_end") or _max_time(transactions, rows, engine, spark)
    if end <= calibration_end:
        raise AnalyticsError(f"observation_period_end ({end:%Y-%m-%d %H:%M}) must come after calibration_period_end ({calibration_end:%Y-%m-%d %H:%M})")
    cal_ts, end_ts = d.timestamp(calibration_end), d.timestamp(end)
    calibration = _summary_sql(d, rows, seconds, shift, freq_multiplier, calibration_end, f"ts <= {cal_ts}", litt)
    # As in the calibration columns: purchases in one period are one (their values summed), and the mean is over periods.
    holdout = (
        f"SELECT customer_id, CAST(COUNT(*) AS DOUBLE) AS frequency_holdout,"
        f" CASE WHEN COUNT(value) < COUNT(*) THEN NULL ELSE AVG(value) END AS monetary_value_holdout"
        f" FROM (SELECT customer_id, {d.period('ts', seconds, shift)} AS period, {_PERIOD_VALUE} AS value FROM ({rows}) r"
        f" WHERE ts > {cal_ts} AND ts <= {end_ts} GROUP BY customer_id, {d.period('ts', seconds, shift)}) h GROUP BY customer_id"
    )
    periods = repr((_period_number(end, seconds, shift) - _period_number(calibration_end, seconds, shift)) / float(freq_multiplier))
    sql = (
        f"WITH cal AS ({calibration}), hold AS ({holdout}) "
        f"SELECT cal.customer_id, cal.frequency AS frequency_cal, cal.recency AS recency_cal, cal.T AS T_cal,"
        f" cal.monetary_value AS monetary_value_cal,{' cal.litt AS litt_cal,' if litt else ''}"
        f" COALESCE(hold.frequency_holdout, 0) AS frequency_holdout,"
        f" COALESCE(hold.monetary_value_holdout, 0) AS monetary_value_holdout,"
        f" {periods} AS duration_holdout "
        f"FROM cal LEFT JOIN hold ON hold.customer_id = cal.customer_id ORDER BY cal.customer_id"
    )
    out = eng.run(engine, sql, {"transactions": transactions}, spark)
    if out.empty:
        raise AnalyticsError(f"no customer made a purchase by calibration_period_end ({calibration_end:%Y-%m-%d %H:%M}): "
                             "choose a later one")
    columns = ["frequency_cal", "recency_cal", "T_cal"]
    if monetary_value_col:
        columns.append("monetary_value_cal")
    if litt:
        columns.append("litt_cal")
    columns += ["frequency_holdout"] + (["monetary_value_holdout"] if monetary_value_col else []) + ["duration_holdout"]
    return _finish(out, customer_id_col, columns)


def _finish(out: pd.DataFrame, customer_id_col: str, columns: list[str]) -> pd.DataFrame:
    out.columns = [c if c != "t" else "T" for c in out.columns]  # Spark may fold the case of T
    out = out.rename(columns={"t_cal": "T_cal"}).set_index("customer_id")
    out.index.name = customer_id_col
    return out[columns].astype(float)
