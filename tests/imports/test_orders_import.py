import datetime as dt
from decimal import Decimal

import pytest

from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.customers.models import Customer
from tests.conftest import read_rejects

ORDER_HEADER = ["external_id", "customer_external_id", "placed_at", "total", "currency", "status"]
LINE_HEADER = ["order_external_id", "sku", "category", "quantity", "unit_price"]


@pytest.fixture
def customers(db):
    for cid in ("c1", "c2"):
        Customer.objects.create(external_id=cid)


def test_orders_bad_rows_and_good_rows(write_csv, run, customers):
    rows = [
        ["o1", "c1", "2024-02-01T10:00:00Z", "12.50", "EUR", "completed"],  # 2
        ["o2", "c2", "2024-03-01", "100", "eur", "refunded"],                  # 3
        ["o3", "nobody", "2024-03-01", "10", "EUR", ""],                      # 4 unknown customer
        ["o4", "c1", "2024-03-01", "-5", "EUR", ""],                          # 5 negative
        ["o5", "c1", "2024-03-01", "12.345", "EUR", ""],                      # 6 too precise
        ["o6", "c1", "2024-03-01", "12", "ZZZ", ""],                          # 7 unknown currency
        ["o7", "c1", "2024-03-01", "12,5", "EUR", ""],                        # 8 comma
        ["o8", "c1", "2024-03-01", "10", "EUR", "done"],                      # 9 unknown status
        ["o9", "c1", "03/01/2024", "10", "EUR", ""],                          # 10 bad date
        ["o1", "c2", "2024-03-01", "10", "EUR", ""],                          # 11 duplicate
        ["o10", "c1", "2024-03-01", "1000", "JPY", ""],                       # 12 good, JPY
        ["o11", "c1", "2024-03-01", "10.5", "JPY", ""],                       # 13 JPY has no cents
        ["o12", "", "2024-03-01", "10", "EUR", ""],                           # 14 no customer
        ["o13", "c1", "2999-03-01", "10", "EUR", ""],                         # 15 future
        ["o14", "c1", "2024-03-01", "ten", "", ""],                           # 16 not a number
    ]
    path = write_csv("o.csv", ORDER_HEADER, rows)
    result = run("orders", path)
    assert (result.rows, result.imported, result.rejected) == (15, 3, 12)
    reasons = {int(r["line"]): r["reason"] for r in read_rejects(path)}
    expect = {4: "unknown customer nobody", 5: "total -5 is negative", 6: "more decimal places than EUR allows (2)",
              7: "unknown currency 'ZZZ'", 8: "uses a comma", 9: "unknown status 'done'",
              10: "placed_at is not an ISO date-time", 11: "duplicate external_id", 13: "JPY allows (0)",
              14: "customer_external_id is empty", 15: "placed_at is in the future", 16: "'ten' is not a number"}
    assert sorted(reasons) == sorted(expect)
    for line, words in expect.items():
        assert words in reasons[line], (line, reasons[line])
    o1 = Order.objects.get(external_id="o1")
    assert (o1.customer.external_id, o1.total, o1.currency, o1.status) == ("c1", Decimal("12.5"), "EUR", "completed")
    assert o1.placed_at == dt.datetime(2024, 2, 1, 10, tzinfo=dt.UTC)
    refund = Refund.objects.get(order__external_id="o2")
    assert refund.amount == Decimal("100") and Order.objects.get(external_id="o2").currency == "EUR"


def test_orders_are_idempotent_and_updates_are_counted(write_csv, run, customers):
    rows = [["o1", "c1", "2024-02-01T10:00:00.250Z", "12.50", "EUR", ""], ["o2", "c2", "2024-03-01", "7", "", "refunded"]]
    run("orders", write_csv("o.csv", ORDER_HEADER, rows))
    again = run("orders", write_csv("o.csv", ORDER_HEADER, rows))
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)
    assert Refund.objects.count() == 1
    rows[0][3] = "13.00"
    rows[1][1] = "c1"
    changed = run("orders", write_csv("o2.csv", ORDER_HEADER, rows))
    assert (changed.imported, changed.updated, changed.unchanged) == (0, 2, 0)
    assert Order.objects.get(external_id="o1").total == Decimal("13")
    assert Order.objects.get(external_id="o2").customer.external_id == "c1"


def test_order_lines_create_products_and_categories(write_csv, run, customers):
    run("orders", write_csv("o.csv", ORDER_HEADER, [["o1", "c1", "2024-02-01", "20", "EUR", ""]]))
    rows = [
        ["o1", "SKU1", "Books", "2", "5.00"],   # 2
        ["o1", "SKU2", "", "1", "10"],          # 3
        ["o1", "SKU1", "Books", "1", "1"],      # 4 duplicate (order, sku)
        ["zz", "SKU1", "", "1", "1"],           # 5 unknown order
        ["o1", "SKU3", "Music", "0", "1"],      # 6 zero quantity
        ["o1", "SKU4", "Music", "1.5", "1"],    # 7 not whole
        ["o1", "SKU5", "Music", "1", "-1"],     # 8 negative price
    ]
    path = write_csv("l.csv", LINE_HEADER, rows)
    result = run("order-lines", path)
    assert (result.imported, result.rejected) == (2, 5)
    reasons = {int(r["line"]): r["reason"] for r in read_rejects(path)}
    assert "duplicate order_external_id and sku" in reasons[4] and "unknown order zz" == reasons[5]
    assert "more than zero" in reasons[6] and "whole number" in reasons[7] and "negative" in reasons[8]
    assert Product.objects.get(sku="SKU1").category.name == "Books"
    assert Product.objects.get(sku="SKU2").category is None
    assert set(Category.objects.values_list("name", flat=True)) == {"Books"}
    line = OrderLine.objects.get(product__sku="SKU1")
    assert (line.quantity, line.unit_price, line.amount) == (2, Decimal("5"), Decimal("10"))
    again = run("order-lines", path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)


def _schema(table: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: (c["columns"], c["unique"], c["foreign_key"], c["index"]) for name, c in found.items()}


def test_a_large_file_rebuilds_the_indexes_and_foreign_keys_it_dropped(write_csv, run, customers, monkeypatch):
    import patron.imports.stage as stage

    before = _schema("commerce_order")
    assert any(fk for _, _, fk, _ in before.values()) and "order_placed_at" in before
    monkeypatch.setattr(stage, "BULK_ROWS", 10)
    rows = [[f"o{i}", "c1" if i % 2 else "c2", f"2024-01-{1 + i % 28:02d}", f"{i}.50", "EUR", ""] for i in range(60)]
    result = run("orders", write_csv("o.csv", ORDER_HEADER, rows))
    assert result.imported == 60
    assert _schema("commerce_order") == before
    assert Order.objects.filter(customer__external_id="c1").count() == 30
    assert run("orders", write_csv("o.csv", ORDER_HEADER, rows)).unchanged == 60
