"""The operational store as patron.analytics inputs: Arrow read through ADBC on a connection of its own.

Only committed rows are seen (the reader is another connection), which is what a report should show.
"""

from urllib.parse import quote

import pyarrow as pa

from django.db import connection

from patron.analytics import StoreQuery
from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.core.sql import primary_language
from patron.feedback.models import Response

# Tables of the contexts below insights, by their models.
ORDERS, REFUNDS, LINES = Order._meta.db_table, Refund._meta.db_table, OrderLine._meta.db_table
PRODUCTS, CATEGORIES, RESPONSES = Product._meta.db_table, Category._meta.db_table, Response._meta.db_table

# Columns every analytics call gets: the customer's id, when, and the order's value net of refunds.
# Times are UTC, kept naive: SQLite returns them as naive text, PostgreSQL as UTC.
ORDER_SCHEMA = pa.schema([("customer_id", pa.int64()), ("placed_at", pa.timestamp("us")), ("value", pa.float64()),
                          ("currency", pa.string())])


def store_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("an in-memory SQLite database cannot be read by another connection")
        return f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        user = quote(settings.get("USER") or "", safe="")
        password = quote(settings.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "localhost"
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        return f"postgresql://{auth}{host}{port}/{quote(settings['NAME'], safe='')}"
    raise RuntimeError(f"analytics read SQLite or PostgreSQL, not {connection.vendor}")


def _real() -> str:
    """The store's double-precision type, so that money arrives as float64 (drivers give NUMERIC as text)."""
    return "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"


def orders() -> StoreQuery:
    """Every purchase that stands: customer_id, placed_at (UTC), value (total less partial refunds, in the order's own
    currency: insights.money converts it), currency.

    Cancelled orders and orders refunded in full are not purchases, for the KPIs or for the scores.
    """
    sql = (
        f"SELECT o.customer_id, o.placed_at, CAST(o.total - COALESCE(r.refunded, 0) AS {_real()}) AS value, o.currency "
        f"FROM {ORDERS} o LEFT JOIN (SELECT order_id, SUM(amount) AS refunded FROM {REFUNDS} GROUP BY order_id) r "
        f"ON r.order_id = o.id WHERE o.status = '{Order.Status.COMPLETED}'"
    )
    return StoreQuery(store_url(), sql, ORDER_SCHEMA)


def refunds() -> StoreQuery:
    """Each refund with its customer: customer_id, at, amount."""
    sql = (f"SELECT o.customer_id, r.refunded_at AS at, CAST(r.amount AS {_real()}) AS amount "
           f"FROM {REFUNDS} r JOIN {ORDERS} o ON o.id = r.order_id")
    return StoreQuery(store_url(), sql, pa.schema([("customer_id", pa.int64()), ("at", pa.timestamp("us")), ("amount", pa.float64())]))


def categories() -> StoreQuery:
    """What each purchase was: customer_id, at (the order's time), category (the product's, or its sku)."""
    sql = ("SELECT o.customer_id, o.placed_at AS at, COALESCE(k.name, p.sku) AS category "
           f"FROM {LINES} l JOIN {ORDERS} o ON o.id = l.order_id JOIN {PRODUCTS} p ON p.id = l.product_id "
           f"LEFT JOIN {CATEGORIES} k ON k.id = p.category_id "
           f"WHERE o.status = '{Order.Status.COMPLETED}'")
    return StoreQuery(store_url(), sql, pa.schema([("customer_id", pa.int64()), ("at", pa.timestamp("us")), ("category", pa.string())]))


def surveys() -> StoreQuery:
    """Every survey answer: customer_id, kind (nps or csat), score, answered_at, language (primary subtag)."""
    query = (f"SELECT r.customer_id, r.kind, CAST(r.score AS INTEGER) AS score, r.answered_at, "
             f"{primary_language('r.language')} AS language FROM {RESPONSES} r")
    return StoreQuery(store_url(), query, pa.schema([("customer_id", pa.int64()), ("kind", pa.string()), ("score", pa.int64()),
                                                   ("answered_at", pa.timestamp("us")), ("language", pa.string())]))


# The service desk's tables are above insights (the desk reads the scores), so they are named here as
# text: this module is the one reader of several contexts' tables for analytics, and a test checks
# that each name below exists with its columns (tests/insights/test_store_tables.py).
TICKETS = "service_ticket"
COMPLAINT = "complaint"  # Ticket.Kind.COMPLAINT


def tickets() -> StoreQuery:
    """Service tickets of known customers: customer_id, opened_at, kind (question, complaint...)."""
    query = f"SELECT t.customer_id, t.created_at AS opened_at, t.kind FROM {TICKETS} t WHERE t.customer_id IS NOT NULL"
    return StoreQuery(store_url(), query, pa.schema([("customer_id", pa.int64()), ("opened_at", pa.timestamp("us")),
                                                     ("kind", pa.string())]))
