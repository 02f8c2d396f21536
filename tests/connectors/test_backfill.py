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
    monkeypatch.setattr(backfill, "CHUNK_ROWS", 20)  # two pages
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


def chunk_files(connection) -> list:
    from django.conf import settings
    from pathlib import Path

    return sorted((Path(settings.PATRON_HOME) / "connections" / str(connection.pk)).glob("*.parquet"))


def test_a_record_the_store_sent_in_another_shape_is_a_reject_with_its_reason(store, connected):
    broken = next(o for o in store.orders if o["status"] == "completed")
    broken["line_items"] = "not a list of lines"
    report = sync()[str(connected.pk)]
    assert report["orders"]["rejected"] == 1 and Order.objects.count() == 53
    unreadable = [path for path in report["rejects_files"] if path.endswith("-unreadable.csv")]
    assert len(unreadable) == 1
    with open(unreadable[0], encoding="utf-8") as rejects:
        header, row = rejects.read().splitlines()
    assert header == "id,reason" and row.startswith(f"{broken['id']},not readable: AttributeError")
    assert chunk_files(connected) == []  # each chunk's files go once merged


def test_a_merge_that_fails_stops_the_reading_process_and_leaves_no_chunk_behind(store, connected, monkeypatch):
    import multiprocessing

    from patron.connectors import backfill

    merged = []

    def failing(connection, written, synced):
        if merged:
            raise RuntimeError("the merge failed")
        merged.append(written)
        return real(connection, written, synced)

    real = backfill.merge_written
    monkeypatch.setattr(backfill, "merge_written", failing)
    with pytest.raises(RuntimeError, match="the merge failed"):
        backfill.backfill(connected)
    assert multiprocessing.active_children() == []
    assert chunk_files(connected) == []
    connected.refresh_from_db()
    assert connected.cursor["products"]["page"] == 0 and connected.cursor["customers"]["page"] == 1  # not moved past


def test_a_disk_that_refuses_the_chunks_is_named_and_what_was_merged_stays(store, connected, monkeypatch):
    from patron.connectors import reader

    written = reader.Chunk.write

    def full(chunk, folder, name):
        if chunk.orders:
            raise OSError(28, "No space left on device", str(folder))
        return written(chunk, folder, name)

    monkeypatch.setattr(reader.Chunk, "write", full)
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("sync", stdout=io.StringIO())
    assert Customer.objects.count() > 0 and Order.objects.count() == 0
    connected.refresh_from_db()
    assert connected.cursor["customers"]["page"] == 0 and connected.cursor["orders"]["page"] == 1


def test_the_shop_page_follows_the_reading_between_merges_and_a_resumed_pass_forgets_it(store, connected, monkeypatch):
    from patron.connectors import backfill, services

    monkeypatch.setattr(backfill, "SEEN_EVERY", 0.0)
    shown = []
    report = backfill._seen(connected, "orders", lambda *args: shown.append(args))
    report("orders", 40, 60)
    connected.refresh_from_db()
    orders = next(p for p in services.progress(connected) if p["resource"] == "orders")
    assert (orders["read"], orders["total"], shown) == (40, 60, [("orders", 40, 60)])
    backfill._pass(connected, "orders", backfill.timezone.now())  # a new run: the pages not merged are read again
    connected.refresh_from_db()
    assert "seen" not in connected.cursor["orders"]
