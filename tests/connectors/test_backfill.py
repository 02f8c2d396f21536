"""Backfill from a WooCommerce store: customers and orders (guests, lines, refunded, unpaid left out) go through
the import engine; a store that answers 429 and 500 is asked again; a run that fails half-way resumes where
it stopped; running again changes nothing; the points are earned once."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from patron.commerce.models import Order, OrderLine, Product
from patron.connectors.models import Connection
from patron.customers.models import Customer
from patron.loyalty.models import Movement, Program
from tests.connectors.fake_woocommerce import KEY, SECRET, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    shop = Store(customers=25, orders=60)
    yield shop
    shop.close()


@pytest.fixture
def connected(store):
    call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET, stdout=io.StringIO())
    return Connection.objects.get()


def sync(*args) -> dict:
    out = io.StringIO()
    call_command("sync", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    from patron.connectors import backfill, services

    monkeypatch.setitem(services.PER_PAGE, "woocommerce", 10)  # the fake store's pages are small, so there are several
    monkeypatch.setattr(backfill, "PAGES_PER_CHUNK", 2)
    monkeypatch.setattr(backfill.time, "sleep", lambda seconds: None)  # the store's Retry-After, not waited here


def test_the_store_is_read_through_the_import_engine_and_again_changes_nothing(store, connected):
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    first = sync()[str(connected.pk)]
    paid = [o for o in store.orders if o["status"] != "pending"]
    assert Order.objects.count() == len(paid) == 54 and first["skipped_orders"] == 6
    guests = {o["billing"]["email"] for o in paid if not o["customer_id"]}
    assert Customer.objects.filter(external_id__startswith="guest:").count() == len(guests) < len([o for o in paid if not o["customer_id"]])
    assert first["customers"]["rejected"] == first["orders"]["rejected"] == first["order-lines"]["rejected"] == 0
    assert Customer.objects.get(external_id="101").email == "pirkeja1@example.lt"
    assert Order.objects.get(external_id="5012").status == "refunded"  # 12 % 13 == 12
    tea, cup = Product.objects.get(sku="ARB-1"), Product.objects.get(sku="wc-94")
    assert (tea.name, tea.category.name, tea.price, tea.currency, tea.in_stock) == ("Juodoji arbata", "Arbata", 10, "EUR", True)
    assert tea.image_url.endswith("arbata.jpg") and tea.url.endswith("/juodoji-arbata/")
    assert (cup.category.name, cup.in_stock, cup.image_url) == ("Indai", False, "")
    assert first["products"]["rejected"] == 1  # 1.2345 EUR: more decimals than euros have
    lines = OrderLine.objects.filter(order__external_id="5001").order_by("product__sku")
    assert [(line.product.sku, line.quantity) for line in lines] == [("ARB-1", 1), ("wc-94", 1)]
    earned = Movement.objects.filter(kind="earn").count()
    assert earned > 0
    # Partial refunds: recorded once each by the store's refund id, with their share of the points taken back.
    refunded = [o for o in paid if o["refunds"]]
    assert first["refunds"] == len(refunded) > 0
    sample = Order.objects.get(external_id=str(refunded[0]["id"]))
    assert [(r.external_id, r.amount) for r in sample.refunds.all()] == [(f"wc-refund-{refunded[0]['refunds'][0]['id']}", 10)]
    assert Movement.objects.filter(kind="reverse", reference=sample.external_id).exists()
    taken_back = Movement.objects.filter(kind="reverse").count()
    again = sync("--again")[str(connected.pk)]
    assert again["orders"]["imported"] == 0 and again["orders"]["updated"] == 0 and again["orders"]["unchanged"] == 54
    assert Movement.objects.filter(kind="earn").count() == earned  # no order earns twice
    assert again["refunds"] == 0 and Movement.objects.filter(kind="reverse").count() == taken_back
    connected.refresh_from_db()
    assert connected.last_sync_at is not None and connected.cursor["orders"]["page"] == 0


def test_a_busy_store_is_asked_again_and_a_failing_one_resumes_where_it_stopped(store, connected):
    store.answers["customers"] = [429, 500]
    store.fail_from_page["orders"] = 4  # pages 1-3 of orders merge (a chunk is two pages), then the store fails
    with pytest.raises(CommandError, match="what was read so far is kept"):
        call_command("sync", stdout=io.StringIO())
    connected.refresh_from_db()
    assert connected.state == "failing" and "500" in connected.last_error
    assert connected.cursor["customers"]["page"] == 0 and connected.cursor["orders"]["page"] == 3
    kept = Order.objects.count()
    assert kept == len([o for o in store.orders[:20] if o["status"] != "pending"])
    store.fail_from_page.clear()
    store.calls.clear()
    sync()
    assert Order.objects.count() == 54
    assert "orders?page=1" not in store.calls and "orders?page=3" in store.calls  # resumed, not started over
    connected.refresh_from_db()
    assert connected.state == "connected" and connected.last_error == ""
