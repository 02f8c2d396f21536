"""The staging tables an import loads into before it merges set-wise into the real tables.

Values reach the database as bound parameters or through COPY, never as SQL text;
identifiers come from the code. SQLite and PostgreSQL differ only in the few places here.
"""

import contextlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection

from patron.core.admin_tools import table_estimate

STAGE = "patron_import_stage"
REJECTS = "patron_import_rejects"
SQLITE_IMPORT_CACHE_KIB = 1 << 20  # 1 GiB at most, taken only as the merge needs it
BULK_ROWS = 100_000

_TYPES = {
    "sqlite": {"text": "TEXT", "ts": "TEXT", "date": "TEXT", "num": "NUMERIC", "bool": "INTEGER", "int": "INTEGER", "json": "TEXT"},
    "postgresql": {"text": "text", "ts": "timestamptz", "date": "date", "num": "numeric", "bool": "boolean", "int": "bigint",
                   "json": "jsonb"},
}


class Stage:
    def __init__(self, columns: list[tuple[str, str]]):
        self.columns = columns
        self.vendor = connection.vendor
        if self.vendor not in _TYPES:
            raise NotImplementedError(f"imports support SQLite and PostgreSQL, not {self.vendor}")
        self.staged = 0

    # SQL fragments that differ between the two databases.
    def differs(self, left: str, right: str) -> str:
        return f"{left} IS NOT {right}" if self.vendor == "sqlite" else f"{left} IS DISTINCT FROM {right}"

    @property
    def empty_json(self) -> str:
        return "'{}'" if self.vendor == "sqlite" else "CAST('{}' AS jsonb)"

    def param(self, value):
        """A datetime as this database's column holds it (naive UTC text on SQLite)."""
        return connection.ops.adapt_datetimefield_value(value)

    def execute(self, sql: str, params=()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def create(self) -> None:
        if self.vendor == "sqlite":
            # A merge touches indexes all over the table: a page cache that holds them saves most of the I/O.
            self.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
        types = _TYPES[self.vendor]
        self.drop()
        cols = ", ".join(f"{name} {types[kind]}" for name, kind in self.columns)
        self.execute(f"CREATE TEMP TABLE {STAGE} (line INTEGER NOT NULL, {cols})")
        self.execute(f"CREATE TEMP TABLE {REJECTS} (line INTEGER NOT NULL, reason TEXT NOT NULL, raw TEXT)")

    def drop(self) -> None:
        if self.vendor == "sqlite":
            self.execute("PRAGMA cache_size = -2000")  # back to SQLite's default
        self.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.execute(f"DROP TABLE IF EXISTS {REJECTS}")

    def insert(self, values: dict[str, pa.Array], lines: np.ndarray) -> None:
        if not len(lines):
            return
        names = [name for name, _ in self.columns]
        table = pa.table({"line": pa.array(lines, pa.int64()), **{n: values[n] for n in names}})
        self.staged += len(lines)
        raw = connection.connection
        if self.vendor == "postgresql":
            buffer = io.BytesIO()
            pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {STAGE} (line, {', '.join(names)}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
            return
        kinds = dict(self.columns)
        lists = [lines.tolist()] + [_sqlite_values(table.column(n).combine_chunks(), kinds[n]) for n in names]
        marks = ", ".join("?" * (len(names) + 1))
        cursor = raw.cursor()
        try:
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", zip(*lists))
        finally:
            cursor.close()

    @contextlib.contextmanager
    def bulk_load(self, models, exists: str) -> None:
        """Around a merge of many new rows: drop the models' secondary indexes (and on PostgreSQL their
        foreign keys), and build them again after.

        Building an index once over the whole table is several times cheaper than updating it row by
        row in random key order, and one join checks a foreign key faster than a trigger per row.
        Worth it when the new rows are many beside the table (judged from a sample: `exists` is an
        SQL condition on staged row s that holds when it is already stored). Unique indexes stay, so
        the merge can never store a duplicate. Both databases do it inside the import's transaction,
        so a failure leaves the table as it was.
        """
        new_rows = self.estimate_new(exists) if self.staged >= BULK_ROWS else 0
        big = [m for m in models if new_rows >= BULK_ROWS and new_rows * 5 >= (table_estimate(m._meta.db_table) or 0)]
        if self.vendor == "postgresql":
            # Django's foreign keys are checked at commit; pending checks would forbid CREATE INDEX.
            self.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.execute("SET LOCAL maintenance_work_mem = '512MB'")
            self.execute("SET LOCAL work_mem = '256MB'")
        restore = []
        for model in big:
            for name, create in self._secondary_indexes(model._meta.db_table):
                self.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                restore.append(create)
        if self.vendor == "postgresql":
            restore += self._drop_foreign_keys(big)
        yield
        for sql in restore:
            self.execute(sql)

    def _secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE INDEX statement) of each index on the table that enforces nothing."""
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = CAST(%s AS regclass) AND NOT x.indisunique AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                    "AND UPPER(sql) NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            return cursor.fetchall()

    def _drop_foreign_keys(self, models) -> list[str]:
        """Drop the models' foreign-key constraints (PostgreSQL); returns the SQL that adds each back, checked."""
        restore = []
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST(%s AS regclass) AND contype = 'f'",
                    [model._meta.db_table],
                )
                for name, definition in cursor.fetchall():
                    table, name = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(name)
                    self.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                    restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        return restore

    def estimate_new(self, exists: str, sample: int = 2000) -> int:
        """How many staged rows are new, from an even sample of the staged lines."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(line) FROM {STAGE}")
            step = max(1, (cursor.fetchone()[0] or 0) // sample)
            cursor.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN {exists} THEN 1 ELSE 0 END) FROM {STAGE} s WHERE s.line %% %s = 0", [step]
            )
            seen, old = cursor.fetchone()
        return round(self.staged * (1 - (old or 0) / seen)) if seen else self.staged

    def add_rejects(self, rows: list[tuple[int, str, str | None]]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {REJECTS} (line, reason, raw) VALUES (%s, %s, %s)", rows)

    def index(self, key: list[str]) -> None:
        self.execute(f"CREATE INDEX {STAGE}_key ON {STAGE} ({', '.join(key)}, line)")
        if self.vendor == "postgresql":
            self.execute(f"ANALYZE {STAGE}")

    def reject_duplicates(self, key: list[str], what: str) -> int:
        """Keep the first row of each key; reject the later ones, naming the line of the first."""
        on = " AND ".join(f"s.{k} = f.{k}" for k in key)
        found = self.execute(
            f"INSERT INTO {REJECTS} (line, reason) "
            f"SELECT s.line, %s || f.first_line FROM {STAGE} s JOIN ("
            f"  SELECT {', '.join(key)}, MIN(line) AS first_line FROM {STAGE} GROUP BY {', '.join(key)} HAVING COUNT(*) > 1"
            f") f ON {on} WHERE s.line > f.first_line",
            [f"duplicate {what} within the file; the first is on line "],
        )
        if found:
            self._drop_rejected()
        return found

    def reject_where(self, condition: str, reason_sql: str, params=()) -> int:
        """Reject the staged rows (alias s) for which `condition` holds; the reason is an SQL expression."""
        found = self.execute(
            f"INSERT INTO {REJECTS} (line, reason) SELECT s.line, {reason_sql} FROM {STAGE} s WHERE {condition}", params
        )
        if found:
            self._drop_rejected()
        return found

    def _drop_rejected(self) -> None:
        self.staged -= self.execute(f"DELETE FROM {STAGE} WHERE line IN (SELECT line FROM {REJECTS})")

    def rejects_between(self, low: int, high: int | None) -> list[tuple[int, str, str | None]]:
        with connection.cursor() as cursor:
            if high is None:
                cursor.execute(f"SELECT line, reason, raw FROM {REJECTS} WHERE line > %s ORDER BY line", [low])
            else:
                cursor.execute(
                    f"SELECT line, reason, raw FROM {REJECTS} WHERE line > %s AND line <= %s ORDER BY line", [low, high]
                )
            return cursor.fetchall()

    def count_rejects(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {REJECTS}")
            return cursor.fetchone()[0]


def _sqlite_values(array: pa.Array, kind: str) -> list:
    """Values in the form Django itself writes to SQLite, so that a re-import compares equal."""
    if kind == "ts":
        seconds = pc.strftime(array.cast(pa.timestamp("s", "UTC"), safe=False), format="%Y-%m-%d %H:%M:%S")
        micros = pc.subtract(array.cast(pa.int64()), pc.multiply(array.cast(pa.timestamp("s", "UTC"), safe=False).cast(pa.int64()), 1_000_000))
        fraction = pc.utf8_lpad(micros.cast(pa.string()), 6, "0")
        array = pc.if_else(pc.equal(micros, 0), seconds, pc.binary_join_element_wise(seconds, fraction, "."))
    elif kind == "bool":
        array = array.cast(pa.int8())
    return array.to_pylist()
