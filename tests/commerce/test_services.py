import datetime as dt
from decimal import Decimal

import pytest

from patron.commerce import services
from patron.commerce.models import Order
from patron.core.errors import InvalidInput, RefundExceedsOrder
from patron.customers.models import Customer

WHEN = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)


@pytest.fixture
def order(db):
    customer = Customer.objects.create(external_id="c1")
    order, created = services.record_order(
        customer, "o1", placed_at=WHEN, total="50.00", currency="eur",
        lines=[{"sku": "A", "category": "Tea", "quantity": 2, "unit_price": "10"}, {"sku": "B", "quantity": 1, "unit_price": "30"}],
    )
    assert created
    return order


def test_order_with_lines_and_money_as_decimal(order):
    order.refresh_from_db()
    assert (order.total, order.currency, order.status) == (Decimal("50"), "EUR", "completed")
    assert sorted((line.product.sku, line.amount) for line in order.lines.all()) == [("A", Decimal("20")), ("B", Decimal("30"))]


def test_partial_then_full_refund(order):
    services.refund_order(order, "20.00", reason="one item broken")
    assert Order.objects.get(pk=order.pk).status == "completed"
    with pytest.raises(RefundExceedsOrder) as error:
        services.refund_order(order, "30.01")
    assert error.value.code == "refund_exceeds_order"
    services.refund_order(order)  # the rest
    assert services.refunded_amount(order) == Decimal("50")
    assert Order.objects.get(pk=order.pk).status == "refunded"


def test_refund_retry_with_the_same_id_is_one_refund(order):
    first = services.refund_order(order, "5", external_id="r-1")
    again = services.refund_order(order, "5", external_id="r-1")
    assert first.pk == again.pk and services.refunded_amount(order) == Decimal("5")


@pytest.mark.parametrize(
    "changes, field",
    [({"total": "-1"}, "total"), ({"total": "1.234"}, "total"), ({"total": "1000000000000"}, "total"), ({"currency": "ABC"}, "currency"),
     ({"status": "lost"}, "status"), ({"placed_at": dt.datetime(2025, 1, 1)}, "placed_at"),
     ({"placed_at": dt.datetime(9999, 12, 31, tzinfo=dt.UTC)}, "placed_at"), ({"lines": [{"sku": "A", "quantity": 2 ** 63}]}, "quantity")],
)
def test_bad_orders_are_refused(db, changes, field):
    customer = Customer.objects.create(external_id="c2")
    fields = {"placed_at": WHEN, "total": "10", "currency": "EUR"} | changes
    with pytest.raises(InvalidInput) as error:
        services.record_order(customer, "o9", **fields)
    assert error.value.details["field"] == field
    assert not Order.objects.exists()
