"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place; and a lean
INSERT for the hottest writes."""

from functools import lru_cache

from django.db import connection


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



@lru_cache(maxsize=None)
def _insert_statement(model, names: tuple[str, ...], unless_exists: tuple[str, ...]) -> tuple[str, tuple]:
    fields = tuple(model._meta.get_field(name) for name in names)
    statement = (f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
                 f"VALUES ({', '.join(['%s'] * len(fields))})")
    if unless_exists:
        statement += f" ON CONFLICT ({', '.join(model._meta.get_field(n).column for n in unless_exists)}) DO NOTHING"
    return statement + f" RETURNING {model._meta.pk.column}", fields


@lru_cache(maxsize=None)
def _select_statement(model, names: tuple[str, ...], where: tuple[tuple[str, bool], ...]):
    fields = tuple(model._meta.get_field(name) for name in names) if names else tuple(model._meta.concrete_fields)
    columns = [field.get_col(model._meta.db_table) for field in fields]
    converters = [(i, [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)], col)
                  for i, (field, col) in enumerate(zip(fields, columns))]
    tests = [(model._meta.get_field(name), is_null) for name, is_null in where]
    conditions = " AND ".join(f"{field.column} IS NULL" if is_null else f"{field.column} = %s" for field, is_null in tests)
    statement = f"SELECT {', '.join(field.column for field in fields)} FROM {model._meta.db_table} WHERE {conditions} LIMIT 1"
    return statement, tuple(field.attname for field in fields), [(i, convs, col) for i, convs, col in converters if convs], tests


def first(model, *names: str, **equal):
    """The first row whose fields equal `equal` (None: IS NULL) as a model instance holding `names`
    (all fields when none are named), or None: one statement, without building a query, for the
    lookups every request makes."""
    statement, attnames, converters, tests = _select_statement(model, names, tuple((name, value is None) for name, value in equal.items()))
    params = [field.get_db_prep_value(value, connection) for (field, is_null), value in zip(tests, equal.values()) if not is_null]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, convs, col in converters:
        for convert in convs:
            values[i] = convert(values[i], col, connection)
    return model.from_db(connection.alias, attnames, values)


def insert(model, values: dict, *, unless_exists: tuple[str, ...] = ()) -> int | None:
    """INSERT one row (field name or attname -> value, prepared by each field as the ORM would) and
    return its id, in one statement and without building a query: for the few writes every request
    makes. With `unless_exists` (the columns of a unique constraint) a row already there is left
    alone and the answer is None. The same text runs on PostgreSQL and SQLite (3.35+)."""
    statement, fields = _insert_statement(model, tuple(values), unless_exists)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values())]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return row[0] if row else None
