"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place."""

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

