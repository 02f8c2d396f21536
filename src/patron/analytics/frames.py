"""What the analytics functions accept, and how each input reaches the engine.

A transactions input is a pandas or Polars DataFrame, a pyarrow Table, a Parquet file (a path), or a
`StoreQuery` (rows of an operational store, read through ADBC as Arrow). Column names are always
parameters; a missing or ill-typed column is an `AnalyticsError` that names it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ENGINES = ("duckdb", "spark")


class AnalyticsError(ValueError):
    """Bad input to an analytics function: the message names the column or parameter."""


@dataclass(frozen=True)
class StoreQuery:
    """Rows of a database, read as Arrow: `url` is a SQLite path (sqlite:///...) or a PostgreSQL URL."""

    url: str
    sql: str
    schema: pa.Schema | None = None  # the result is cast to it: drivers guess types from the rows, and an empty result has none

    def to_arrow(self) -> pa.Table:
        if self.url.startswith(("postgres://", "postgresql://")):
            import adbc_driver_postgresql.dbapi as driver

            with driver.connect(self.url.replace("postgres://", "postgresql://", 1)) as conn, conn.cursor() as cursor:
                cursor.execute(self.sql)
                table = cursor.fetch_arrow_table()
        elif self.url.startswith("sqlite:///"):
            path = self.url.removeprefix("sqlite:///")
            if not os.path.exists(path):
                raise AnalyticsError(f"no SQLite database at {path}")
            table = _sqlite_arrow(path, self.sql)
        else:
            raise AnalyticsError(f"unsupported store URL {self.url!r} (expected sqlite:///PATH or postgresql://...)")
        if self.schema is not None:
            table = pa.table([table.column(i).cast(field.type) for i, field in enumerate(self.schema)], schema=self.schema)
        return table


# A store past this size is read by ADBC in a child process (about four times faster than sqlite3).
SQLITE_CHILD_READ_BYTES = 64 * 2**20
_CHILD_READER = """
import sys
import adbc_driver_sqlite.dbapi as driver
import pyarrow as pa
path, out = sys.argv[1], sys.argv[2]
with driver.connect(path) as conn, conn.cursor() as cursor:
    cursor.execute(sys.stdin.read())
    table = cursor.fetch_arrow_table()
with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
    writer.write_table(table)
"""


def _sqlite_arrow(path: str, sql: str, batch: int = 200_000) -> pa.Table:
    """Rows of a SQLite store as Arrow.

    Never through a second copy of SQLite in this process: POSIX locks are per process, so a copy
    carried by a driver (adbc-driver-sqlite has one) cannot see the application's connections and,
    closing, deletes the WAL's shared-memory file under them. A large store is read by that driver in
    a child process, where the locks work, and handed back as an Arrow file; a small one through
    Python's own sqlite3.
    """
    if os.path.getsize(path) >= SQLITE_CHILD_READ_BYTES:
        with tempfile.TemporaryDirectory(prefix="patron-read-") as tmp:
            out = os.path.join(tmp, "rows.arrow")
            done = subprocess.run([sys.executable, "-c", _CHILD_READER, path, out], input=sql, capture_output=True, text=True)
            if done.returncode:
                raise AnalyticsError(f"reading the SQLite store failed: {done.stderr.strip().splitlines()[-1:]}")
            with pa.OSFile(out, "rb") as source:  # read into memory: the file goes with the directory
                return pa.ipc.open_file(source).read_all()
    with closing(sqlite3.connect(path, timeout=10)) as conn:
        conn.execute("PRAGMA query_only = ON")
        cursor = conn.execute(sql)
        names = [column[0] for column in cursor.description]
        parts = []
        while rows := cursor.fetchmany(batch):
            parts.append(pa.table([pa.array(values) for values in zip(*rows)], names=names))
    if not parts:
        return pa.table([pa.array([], pa.null()) for _ in names], names=names)
    return pa.concat_tables(parts, promote_options="permissive")


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with times read in UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def materialize(data: Any) -> Any:
    """Read a store query or convert a frame once, so that several queries over it do not repeat the work."""
    if data is None or isinstance(data, (str, Path)) or type(data).__module__.split(".")[0] == "pyspark":
        return data
    return to_arrow(data)


def arrow_schema(data: Any) -> pa.Schema:
    """The column names and types of any accepted input, without reading its rows where avoidable."""
    if isinstance(data, (str, Path)):
        return pq.read_schema(_parquet_path(data))
    if type(data).__module__.split(".")[0] == "pyspark":
        from pyspark.sql.pandas.types import to_arrow_schema

        return to_arrow_schema(data.schema)
    return to_arrow(data).schema


def to_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, StoreQuery):
        return data.to_arrow()
    if isinstance(data, (str, Path)):
        return pq.read_table(_parquet_path(data))
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    raise AnalyticsError(
        f"transactions must be a pandas or Polars DataFrame, a pyarrow Table, a Parquet path or a StoreQuery, not {type(data).__name__}"
    )


def relation(con: duckdb.DuckDBPyConnection, data: Any, name: str) -> None:
    """Make `data` visible to DuckDB as view `name` (Parquet is scanned in place, not loaded)."""
    if isinstance(data, (str, Path)):
        path = _parquet_path(data)
        con.read_parquet(str(path)).create_view(name, replace=True)
    else:
        con.register(name, to_arrow(data))


def check_columns(schema: pa.Schema, what: str, **columns: tuple[str | None, str]) -> None:
    """Each keyword is (column name or None, expected kind: 'any', 'time', 'number'); raises naming the first problem."""
    names = schema.names
    for param, (column, kind) in columns.items():
        if column is None:
            continue
        if column not in names:
            raise AnalyticsError(f"{what} has no column {column!r} (given as {param}); its columns are {', '.join(names)}")
        dtype = schema.field(column).type
        if kind == "number" and not (pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)):
            raise AnalyticsError(f"column {column!r} ({param}) must be numeric, not {dtype}")
        if kind == "time" and not (pa.types.is_timestamp(dtype) or pa.types.is_date(dtype) or pa.types.is_string(dtype)
                                   or pa.types.is_large_string(dtype) or pa.types.is_integer(dtype)):
            raise AnalyticsError(f"column {column!r} ({param}) must hold dates or times, not {dtype}")


def time_expression(schema: pa.Schema, column: str, datetime_format: str | None, engine: str = "duckdb") -> str:
    """SQL that reads `column` as a timestamp: dates and times as they are, text and numbers through the format."""
    dtype = schema.field(column).type
    quoted = quote(column, engine)
    if pa.types.is_timestamp(dtype) and dtype.tz and engine == "duckdb":
        return f"CAST(CAST({quoted} AS TIMESTAMPTZ) AS TIMESTAMP)"  # UTC wall time (the session's zone)
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return f"CAST({quoted} AS TIMESTAMP)"
    if datetime_format is None:
        if pa.types.is_integer(dtype):
            raise AnalyticsError(f"column {column!r} holds numbers: give datetime_format (e.g. '%Y%m%d') to read them as dates")
        return f"CAST({quoted} AS TIMESTAMP)"
    if engine == "spark":
        return f"to_timestamp(CAST({quoted} AS STRING), '{_spark_pattern(datetime_format)}')"
    return f"strptime(CAST({quoted} AS VARCHAR), '{datetime_format.replace(chr(39), '')}')"


def purchase_rows(data: Any, table: str, customer_id_col: str, datetime_col: str, value_col: str | None = None, *,
                  datetime_format: str | None = None, engine: str = "duckdb",
                  value_param: str = "monetary_value_col") -> tuple[Any, str]:
    """Check a purchases input and give SQL that reads view `table` as rows (customer_id, ts, value):
    the input made ready for the engine (see materialize), and the SELECT. Rows without a customer or a
    time are left out; value is 0 when no value column is given."""
    data = materialize(data)
    schema = arrow_schema(data)
    check_columns(schema, table, customer_id_col=(customer_id_col, "any"), datetime_col=(datetime_col, "time"),
                  **{value_param: (value_col, "number")})
    ts = time_expression(schema, datetime_col, datetime_format, engine)
    cid = quote(customer_id_col, engine)
    value = f"CAST({quote(value_col, engine)} AS DOUBLE)" if value_col else "CAST(0 AS DOUBLE)"
    rows = (f"SELECT {cid} AS customer_id, {ts} AS ts, {value} AS value FROM {table} "
            f"WHERE {cid} IS NOT NULL AND {quote(datetime_col, engine)} IS NOT NULL")
    return data, rows


def quote(column: str, engine: str = "duckdb") -> str:
    if engine == "spark":
        return "`" + column.replace("`", "``") + "`"
    return '"' + column.replace('"', '""') + '"'


def _spark_pattern(fmt: str) -> str:
    """A strptime format in Spark's datetime pattern language (the common directives)."""
    table = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%y": "yy", "%f": "SSSSSS"}
    out = fmt.replace("'", "")
    for directive, pattern in table.items():
        out = out.replace(directive, pattern)
    if "%" in out:
        raise AnalyticsError(f"datetime_format {fmt!r} uses a directive the Spark engine does not know")
    return out


def _parquet_path(data: str | Path) -> Path:
    path = Path(data)
    if not path.exists():
        raise AnalyticsError(f"no Parquet file at {path}")
    return path
