"""What orders and order-lines files mean: columns, checks, references, and the set-wise merge."""

import datetime as dt

import pyarrow as pa
from django.conf import settings
from django.db import connection

from patron.commerce.events import orders_written
from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.customers.models import Customer
from patron.core.errors import InvalidInput
from patron.imports import checks
from patron.imports.checks import Checked
from patron.imports.stage import STAGE, Stage

CUSTOMERS = Customer._meta.db_table
ORDERS = Order._meta.db_table
REFUNDS = Refund._meta.db_table
LINES = OrderLine._meta.db_table
PRODUCTS = Product._meta.db_table
CATEGORIES = Category._meta.db_table


def _status(value: str) -> str:
    status = value.lower()
    if status not in Order.Status.values:
        raise InvalidInput(f"unknown status {value!r} (expected {', '.join(Order.Status.values)})")
    return status


def _currency(value: str) -> str:
    code = value.upper()
    checks.minor_units_of(code)
    return code


class OrderImport:
    name = "orders"
    required = ("external_id", "customer_external_id", "placed_at", "total")
    optional = ("currency", "status")
    stage_columns = [
        ("external_id", "text"), ("customer_external_id", "text"), ("placed_at", "ts"),
        ("total", "num"), ("currency", "text"), ("status", "text"),
    ]
    key = ["external_id"]
    key_label = "external_id"
    models = [Order]
    exists = f"EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.external_id = s.external_id)"

    def check(self, c: Checked, now: dt.datetime) -> dict[str, pa.Array]:
        external_id = checks.max_length(c, "external_id", checks.required(c, "external_id"), 100)
        customer = checks.required(c, "customer_external_id")
        placed_at = checks.required(c, "placed_at")
        total = checks.required(c, "total")
        currency = checks.each_distinct(c, c.column("currency").fill_null(settings.PATRON_DEFAULT_CURRENCY), _currency)
        return {
            "external_id": external_id,
            "customer_external_id": customer,
            "placed_at": checks.timestamps(c, "placed_at", placed_at, latest=now + dt.timedelta(days=1)),
            "total": checks.amounts(c, "total", total, currency),
            "currency": currency,
            "status": checks.each_distinct(c, c.column("status").fill_null(Order.Status.COMPLETED), _status),
        }

    def reject_unknown(self, stage: Stage) -> None:
        stage.reject_where(
            f"NOT EXISTS (SELECT 1 FROM {CUSTOMERS} c WHERE c.external_id = s.customer_external_id)",
            "%s || s.customer_external_id",
            ["unknown customer "],
        )

    def merge(self, stage: Stage, now: dt.datetime) -> tuple[int, int]:
        fields = ("placed_at", "total", "currency", "status")
        changed = " OR ".join([stage.differs("o.customer_id", "c.id")] + [stage.differs(f"s.{f}", f"o.{f}") for f in fields])
        updated = stage.execute(
            f"UPDATE {ORDERS} AS o SET customer_id = c.id, {', '.join(f'{f} = s.{f}' for f in fields)} "
            f"FROM {STAGE} s JOIN {CUSTOMERS} c ON c.external_id = s.customer_external_id "
            f"WHERE o.external_id = s.external_id AND ({changed})"
        )
        imported = stage.execute(
            f"INSERT INTO {ORDERS} (external_id, customer_id, {', '.join(fields)}) "
            f"SELECT s.external_id, c.id, {', '.join(f's.{f}' for f in fields)} "
            f"FROM {STAGE} s JOIN {CUSTOMERS} c ON c.external_id = s.customer_external_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.external_id = s.external_id) "
            f"ORDER BY s.external_id"  # the unique index then grows at its right edge, page after page
        )
        # An order that arrives refunded gets its refund record, dated when the order was placed
        # (the file does not say when the money went back).
        stage.execute(
            f"INSERT INTO {REFUNDS} (order_id, amount, refunded_at, reason) "
            f"SELECT o.id, o.total, o.placed_at, %s FROM {STAGE} s JOIN {ORDERS} o ON o.external_id = s.external_id "
            f"WHERE s.status = 'refunded' AND o.total > 0 AND NOT EXISTS (SELECT 1 FROM {REFUNDS} r WHERE r.order_id = o.id)",
            ["imported as refunded"],
        )
        return updated, imported

    def merged(self, stage: Stage) -> None:
        """The contexts above hear of the file's completed orders (loyalty earns their points), in the
        import's transaction and with the orders' indexes in place again."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT o.id FROM {STAGE} s JOIN {ORDERS} o ON o.external_id = s.external_id "
                           f"WHERE o.status = %s", [Order.Status.COMPLETED])
            orders_written.send(sender=Order, order_ids=[row[0] for row in cursor.fetchall()])


class OrderLineImport:
    name = "order-lines"
    required = ("order_external_id", "sku", "quantity", "unit_price")
    optional = ("category",)
    stage_columns = [
        ("order_external_id", "text"), ("sku", "text"), ("category", "text"), ("quantity", "int"), ("unit_price", "num"),
    ]
    key = ["order_external_id", "sku"]
    key_label = "order_external_id and sku"
    models = [OrderLine]
    exists = (
        f"EXISTS (SELECT 1 FROM {ORDERS} o JOIN {LINES} l ON l.order_id = o.id JOIN {PRODUCTS} p ON p.id = l.product_id "
        f"WHERE o.external_id = s.order_external_id AND p.sku = s.sku)"
    )

    def check(self, c: Checked, now: dt.datetime) -> dict[str, pa.Array]:
        # Prices are checked against the widest currency here; the order's own currency is not known
        # until the merge, and three places fit every currency the store holds.
        return {
            "order_external_id": checks.required(c, "order_external_id"),
            "sku": checks.max_length(c, "sku", checks.required(c, "sku"), 64),
            "category": checks.max_length(c, "category", c.column("category"), 100),
            "quantity": checks.positive_integers(c, "quantity", checks.required(c, "quantity")),
            "unit_price": checks.amounts(
                c, "unit_price", checks.required(c, "unit_price"), pa.array(["KWD"] * len(c.lines), pa.string())
            ),
        }

    def reject_unknown(self, stage: Stage) -> None:
        stage.reject_where(
            f"NOT EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.external_id = s.order_external_id)",
            "%s || s.order_external_id",
            ["unknown order "],
        )

    def merge(self, stage: Stage, now: dt.datetime) -> tuple[int, int]:
        stage.execute(
            f"INSERT INTO {CATEGORIES} (name) SELECT DISTINCT s.category FROM {STAGE} s WHERE s.category IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {CATEGORIES} k WHERE k.name = s.category)"
        )
        stage.execute(
            f"INSERT INTO {PRODUCTS} (sku, name, category_id) "
            f"SELECT s.sku, '', MIN(k.id) FROM {STAGE} s LEFT JOIN {CATEGORIES} k ON k.name = s.category "
            f"WHERE NOT EXISTS (SELECT 1 FROM {PRODUCTS} p WHERE p.sku = s.sku) GROUP BY s.sku"
        )
        stage.execute(
            f"UPDATE {PRODUCTS} AS p SET category_id = k.id FROM {STAGE} s JOIN {CATEGORIES} k ON k.name = s.category "
            f"WHERE p.sku = s.sku AND p.category_id IS NULL"
        )
        joins = (
            f"FROM {STAGE} s JOIN {ORDERS} o ON o.external_id = s.order_external_id "
            f"JOIN {PRODUCTS} p ON p.sku = s.sku"
        )
        updated = stage.execute(
            f"UPDATE {LINES} AS l SET quantity = s.quantity, unit_price = s.unit_price {joins} "
            f"WHERE l.order_id = o.id AND l.product_id = p.id AND "
            f"({stage.differs('s.quantity', 'l.quantity')} OR {stage.differs('s.unit_price', 'l.unit_price')})"
        )
        imported = stage.execute(
            f"INSERT INTO {LINES} (order_id, product_id, quantity, unit_price) "
            f"SELECT o.id, p.id, s.quantity, s.unit_price {joins} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {LINES} l WHERE l.order_id = o.id AND l.product_id = p.id)"
        )
        return updated, imported


ORDERS_KIND = OrderImport()
ORDER_LINES_KIND = OrderLineImport()
