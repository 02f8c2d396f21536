"""Run one SQL query over named inputs on DuckDB (embedded) or on a Spark session, and return pandas.

The queries are written once in the SQL both engines share; the few functions that differ are
spelled through `Dialect`. Literals in the SQL come from validated Python values, never from input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from patron.analytics import frames
from patron.analytics.frames import AnalyticsError


@dataclass(frozen=True)
class Dialect:
    name: str

    def epoch(self, expr: str) -> str:
        """Seconds since 1970 of a timestamp, as a number."""
        return f"epoch({expr})" if self.name == "duckdb" else f"CAST(unix_timestamp({expr}) AS DOUBLE)"

    def period(self, expr: str, seconds: int, shift: int) -> str:
        """The number of the period of `seconds` that a timestamp falls in, counted from 1970 (shifted by `shift` s)."""
        return f"CAST(FLOOR(({self.epoch(expr)} + {shift}) / {seconds}) AS BIGINT)"

    @property
    def text(self) -> str:
        """The name of the text type."""
        return "VARCHAR" if self.name == "duckdb" else "STRING"

    def quote(self, column: str) -> str:
        return frames.quote(column, self.name)

    def timestamp(self, value: dt.datetime) -> str:
        return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"

    @staticmethod
    def months_between(later: str, earlier: str) -> str:
        """Whole calendar months from `earlier` to `later` (both the first of a month)."""
        return f"((year({later}) - year({earlier})) * 12 + month({later}) - month({earlier}))"


def dialect(engine: str) -> Dialect:
    if engine not in frames.ENGINES:
        raise AnalyticsError(f"unknown engine {engine!r} (expected {' or '.join(frames.ENGINES)})")
    return Dialect(engine)


def run(engine: str, sql: str, inputs: dict[str, Any], spark=None) -> pd.DataFrame:
    """Execute `sql`, in which each key of `inputs` names a table, and return the result as pandas."""
    if engine == "duckdb":
        con = frames.connect()
        try:
            for name, data in inputs.items():
                frames.relation(con, data, name)
            return con.sql(sql).df()
        finally:
            con.close()
    session = spark or spark_session()
    for name, data in inputs.items():
        spark_frame(session, data).createOrReplaceTempView(name)
    return session.sql(sql).toArrow().to_pandas()  # Arrow both ways: no pandas inside Spark


def spark_session():
    """The active Spark session, or a local one (all cores, times in UTC, Arrow transfers)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    return (
        SparkSession.builder.master("local[*]")
        .appName("patron-analytics")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


def spark_frame(session, data: Any):
    from pathlib import Path

    if isinstance(data, (str, Path)):
        return session.read.parquet(str(frames._parquet_path(data)))
    if type(data).__module__.split(".")[0] == "pyspark":
        return data
    table = frames.to_arrow(data)
    return session.createDataFrame(table)


def as_datetime(value, what: str) -> dt.datetime | None:
    """A date, datetime, pandas Timestamp or ISO string as a naive UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise AnalyticsError(f"{what} {value!r} is not a date (expected YYYY-MM-DD or an ISO date and time)") from None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise AnalyticsError(f"{what} must be a date or datetime, not {type(value).__name__}")
