"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place; and lean
statements for the reads and writes every API request makes."""

from contextlib import nullcontext
from functools import lru_cache

from django.db import connection, models

from patron.core import memo as memos


def timestamp(value):
    """A datetime as a bound parameter of raw SQL on this store."""
    return connection.ops.adapt_datetimefield_value(value)


def epoch(column: str) -> str:
    """Seconds since 1970 of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def month_day(column: str) -> str:
    """'MM-DD' of a date column (birthdays, anniversaries)."""
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'MM-DD')"
    return f"strftime('%%m-%%d', {column})"


def year(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    return f"CAST(strftime('%%Y', {column}) AS INTEGER)"


def primary_language(column: str) -> str:
    """The primary subtag of a BCP 47 language column, lower case ('lv-LV' -> 'lv')."""
    if connection.vendor == "postgresql":
        return f"LOWER(split_part({column}, '-', 1))"
    return f"LOWER(CASE WHEN INSTR({column}, '-') > 0 THEN SUBSTR({column}, 1, INSTR({column}, '-') - 1) ELSE {column} END)"


def modulo(left: str, right: str) -> str:
    """`left % right`, written so that Django's cursor (which formats with %) keeps it on both stores."""
    return f"(({left}) %% ({right}))"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object from (key, SQL expression) pairs; keys are fixed names, never input."""
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    if connection.vendor == "postgresql":
        return f"jsonb_build_object({args})"
    return f"json_object({args})"


def json_value(column: str) -> str:
    """A JSON column's value to nest inside json_object (SQLite keeps JSON as text)."""
    return column if connection.vendor == "postgresql" else f"json({column})"


def empty_json() -> str:
    return "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"


def date_text(column: str) -> str:
    """'YYYY-MM-DD' of a timestamp column (UTC)."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"date({column})"


# -- lean statements for the few reads and writes every API request makes -----------------------
# Building a query with the ORM costs several times what the store takes to run it; these write the
# SQL once per shape (cached) and prepare and convert values as the fields would.

_PLAIN = (int, str, bool, type(None))  # exactly these types go to the driver as they are; others the field prepares


@lru_cache(maxsize=None)
def _reader(model, names: tuple[str, ...] = ()) -> "_Reader":
    return _Reader(model, names)


class _Reader:
    """The columns of a model's fields (all of them when none are named) and how to turn a row of
    them into an instance."""

    def __init__(self, model, names: tuple[str, ...]):
        fields = tuple(model._meta.get_field(name) for name in names) if names else tuple(model._meta.concrete_fields)
        self.model, self.attnames = model, tuple(field.attname for field in fields)
        self.columns = ", ".join(f"{model._meta.db_table}.{field.column}" for field in fields)
        self.converters = []
        for i, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            if convs := [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)]:
                self.converters.append((i, convs, col))

    def instance(self, row):
        values = list(row[:len(self.attnames)])
        for i, convs, col in self.converters:
            for convert in convs:
                values[i] = convert(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


def written(model, related: dict | None = None, **values):
    """The instance of a row just written by hand (every field's attname given), as if read back: no
    query. `related`: objects already at hand for its foreign keys (name -> instance)."""
    names = _reader(model).attnames
    item = model.from_db(connection.alias, names, [values[name] for name in names])
    for name, other in (related or {}).items():
        model._meta.get_field(name).set_cached_value(item, other)
    return item


@lru_cache(maxsize=None)
def _first_statement(model, names: tuple[str, ...], where: tuple[tuple[str, bool], ...]):
    reader = _reader(model, names)
    tests = tuple((model._meta.get_field(name), is_null) for name, is_null in where)
    conditions = " AND ".join(f"{field.column} IS NULL" if is_null else f"{field.column} = %s" for field, is_null in tests)
    return f"SELECT {reader.columns} FROM {model._meta.db_table} WHERE {conditions} LIMIT 1", reader, tests


def _fetch(statement: str, params: list, many: bool) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if many:
            return cursor.fetchall()
        row = cursor.fetchone()
    return [] if row is None else [row]


def _rows(model, statement: str, params: list, *, many: bool, memo: bool) -> list:
    if not memo:
        return _fetch(statement, params, many)
    if model._meta.db_table not in memos.TABLES:
        raise ValueError(f"{model._meta.db_table} is not memoised: nothing would tell this process it changed")
    return memos.rows((statement, tuple(params)), lambda: _fetch(statement, params, many))


def first(model, *names: str, memo: bool = False, **equal):
    """The first row whose fields equal `equal` (None: IS NULL) as a model instance holding `names`
    (all fields when none are named), or None. `memo`: from the process's memo (patron.core.memo)."""
    statement, reader, tests = _first_statement(model, names, tuple((name, value is None) for name, value in equal.items()))
    params = [value if type(value) in _PLAIN else field.get_db_prep_value(value, connection)
              for (field, is_null), value in zip(tests, equal.values()) if not is_null]
    found = _rows(model, statement, params, many=False, memo=memo)
    return reader.instance(found[0]) if found else None


@lru_cache(maxsize=None)
def _select_statement(model, where: str, extra: tuple[tuple[str, str], ...], order_by: str):
    reader = _reader(model)
    columns = ", ".join([reader.columns, *(f"{expression} AS {name}" for name, expression in extra)])
    return f"SELECT {columns} FROM {model._meta.db_table} WHERE {where} ORDER BY {order_by or model._meta.pk.column}", reader


def select(model, where: str, params: list, *, extra: tuple[tuple[str, str], ...] = (), order_by: str = "",
           memo: bool = False) -> list:
    """Instances of `model` (every field) whose rows meet a written WHERE (columns named by the
    table), each with `extra` (name, SQL expression) pairs as attributes. `memo`: from the process's
    memo (patron.core.memo; `extra` may read only memoised tables then)."""
    statement, reader = _select_statement(model, where, extra, order_by)
    found = []
    for row in _rows(model, statement, params, many=True, memo=memo):
        item = reader.instance(row)
        for (name, _), value in zip(extra, row[len(reader.attnames):]):
            setattr(item, name, value)
        found.append(item)
    return found


@lru_cache(maxsize=None)
def _insert_statement(model, names: tuple[str, ...], unless_exists: tuple[str, ...]) -> tuple[str, tuple]:
    fields = tuple(model._meta.get_field(name) for name in names)
    statement = (f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
                 f"VALUES ({', '.join(['%s'] * len(fields))})")
    if unless_exists:
        statement += f" ON CONFLICT ({', '.join(model._meta.get_field(n).column for n in unless_exists)}) DO NOTHING"
    return statement + f" RETURNING {model._meta.pk.column}", fields


def insert_many(model, names: tuple[str, ...], rows: list[tuple], *, chunk: int = 500) -> list[int]:
    """INSERT many rows of the fields `names` (values in that order) and return their ids, in the rows'
    order: one multi-row statement per `chunk` rows, values prepared as the fields would, without
    building an instance per row (what makes Django's bulk_create slow at a million rows)."""
    fields = tuple(model._meta.get_field(name) for name in names)
    prepare = [(i, field) for i, field in enumerate(fields) if not isinstance(field, models.ForeignKey)]
    one = f"({', '.join(['%s'] * len(fields))})"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            params = []
            for row in part:
                row = list(row)
                for i, field in prepare:
                    if type(row[i]) not in _PLAIN:
                        row[i] = field.get_db_prep_save(row[i], connection)
                params.extend(row)
            cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
                           f"VALUES {', '.join([one] * len(part))} RETURNING {model._meta.pk.column}", params)
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert(model, values: dict, *, unless_exists: tuple[str, ...] = (), cursor=None) -> int | None:
    """INSERT one row (field name or attname -> value) and return its id. With `unless_exists` (the
    columns of a unique constraint) a row already there is left alone and the answer is None. The
    same text runs on PostgreSQL and SQLite (3.35+). `cursor`: one the caller has open."""
    statement, fields = _insert_statement(model, tuple(values), unless_exists)
    params = [value if type(value) in _PLAIN else field.get_db_prep_save(value, connection)
              for field, value in zip(fields, values.values())]
    with connection.cursor() if cursor is None else nullcontext(cursor) as open_cursor:
        open_cursor.execute(statement, params)
        row = open_cursor.fetchone()
    return row[0] if row else None


def lock(*names: str, wait_seconds: float | None = None) -> None:
    """Hold a lock on each name until the current transaction ends: the way to make a count-then-write
    (a rate limit, the first request with an idempotency key) atomic. PostgreSQL takes transaction-level
    advisory locks, in a fixed order so two callers never deadlock; SQLite needs nothing, since every
    transaction there takes the one write lock at BEGIN (transaction_mode IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("sql.lock needs a transaction: the lock would end at once")
    with connection.cursor() as cursor:
        if wait_seconds is not None:  # past it, the statement fails with OperationalError (lock_not_available)
            cursor.execute(f"SET LOCAL lock_timeout = '{int(wait_seconds * 1000)}ms'")
        for name in sorted(set(names)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
        if wait_seconds is not None:
            cursor.execute("SET LOCAL lock_timeout = 0")
