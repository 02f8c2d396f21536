"""A Shopify shop, played by a local server from the REST Admin API reference: connect (the app's secret signs the
webhooks), backfill by page_info cursors within the leaky bucket and through 429s, marketing consent read where
Shopify keeps it and never invented, live webhooks signed with X-Shopify-Hmac-Sha256, and Patron's coupons as
the shop's own discount codes."""

import copy
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from patron.commerce.models import Order, Product, Refund
from patron.connectors import coupons, live, services
from patron.connectors.models import Connection, Delivery, StoreCoupon
from patron.connectors.shopify import Shopify
from patron.core.errors import InvalidInput
from patron.customers.models import Customer
from patron.customers.services import upsert_customer
from patron.loyalty import services as loyalty
from patron.loyalty.models import Coupon, Movement, Program, Reward
from tests.connectors.fake_shopify import APP_SECRET, DOMAIN, TOKEN, Shop, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    fake = Shop(customers=12, orders=40, bucket=10_000)  # a bucket that never fills, but in the bucket's own test
    yield fake
    fake.close()


@pytest.fixture
def connected(shop):
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    call_command("connect", "shopify", "--shop", DOMAIN, "--token", TOKEN, "--secret", APP_SECRET,
                 "--api-base", shop.url, stdout=io.StringIO())
    return Connection.objects.get()


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    from patron.connectors import backfill

    monkeypatch.setitem(services.PER_PAGE, "shopify", 5)
    monkeypatch.setattr(backfill, "CHUNK_ROWS", 10)  # two pages
    monkeypatch.setattr(backfill.time, "sleep", lambda seconds: None)


def sync(*args) -> dict:
    out = io.StringIO()
    call_command("sync", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_connecting_checks_the_domain_and_token_and_registers_every_webhook_once(shop):
    with pytest.raises(InvalidInput, match="my-shop.myshopify.com"):
        services.connect_shopify("arbatine.lt", TOKEN, APP_SECRET, api_base=shop.url)
    with pytest.raises(InvalidInput, match="shpat_"):
        services.connect_shopify(DOMAIN, "not-a-token", APP_SECRET, api_base=shop.url)
    shop.token = "shpat_another"
    with pytest.raises(services.ShopRefused, match="scopes"):
        services.connect_shopify(DOMAIN, TOKEN, APP_SECRET, api_base=shop.url)
    assert not Connection.objects.exists()
    shop.token = TOKEN
    out = io.StringIO()
    call_command("connect", "shopify", "--shop", DOMAIN, "--token", TOKEN, "--secret", APP_SECRET, "--api-base", shop.url,
                 stdout=out)
    assert "store currency EUR" in out.getvalue() and "price rules and discount codes" in out.getvalue()
    assert sorted(h["topic"] for h in shop.webhooks) == sorted(services.SHOPIFY_TOPICS)
    connection = Connection.objects.get()
    assert all(h["address"] == f"http://testserver/hooks/shopify/{connection.pk}" or h["address"].endswith(
        f"/hooks/shopify/{connection.pk}") for h in shop.webhooks)
    assert TOKEN not in connection.credentials and APP_SECRET not in connection.credentials
    services.connect_shopify(DOMAIN, TOKEN, APP_SECRET, api_base=shop.url)  # again: the same webhooks, not twice
    assert len(shop.webhooks) == len(services.SHOPIFY_TOPICS) and Connection.objects.count() == 1


def test_the_backfill_reads_by_cursor_maps_consent_and_again_changes_nothing(shop, connected):
    shop.answers["orders"] = [429, 500]  # busy, then failing: waited out, asked again
    first = sync()[str(connected.pk)]
    assert first["retries"] == 2
    assert Product.objects.get(sku="ARB-1").url == "https://arbatine.lt/products/juodoji-arbata"
    assert Product.objects.get(sku="ARB-1").in_stock is True and Product.objects.get(sku="shopify-39072857").in_stock is False
    # Consent as Shopify keeps it: subscribed is yes, not subscribed or unsubscribed no, and nothing said is unknown.
    consent = {c.external_id: c.email_consent for c in Customer.objects.exclude(external_id__startswith="guest:")}
    assert consent["207119551"] is True and consent["207119552"] is False and consent["207119553"] is False
    assert consent["207119554"] is None
    paid = [o for o in shop.orders if o["financial_status"] != "pending"]
    assert Order.objects.count() == len(paid) == first["orders"]["imported"]
    assert Order.objects.filter(status="cancelled").count() == sum(1 for o in paid if o["cancelled_at"])
    assert Order.objects.get(external_id="450789472").placed_at == dt.datetime(2025, 10, 4, 16, 30, tzinfo=dt.UTC)
    assert Refund.objects.filter(external_id__startswith="shopify-refund-").count() == first["refunds"] > 0
    assert Customer.objects.filter(external_id="guest:svecias4@example.lt", country="LV").exists()
    earned = Movement.objects.filter(kind="earn").count()
    assert earned > 0
    # Cursor pages: only limit and page_info after the first (the fake refuses anything else, as Shopify does).
    assert any("orders.json" in call for call in shop.calls)
    again = sync("--again")[str(connected.pk)]
    assert again["orders"]["imported"] == 0 and again["orders"]["updated"] == 0 and again["refunds"] == 0
    assert Movement.objects.filter(kind="earn").count() == earned


def test_a_backfill_cut_short_resumes_at_its_cursor(shop, connected):
    shop.fail_from["orders"] = 5  # the count, then three pages, and the shop goes down
    with pytest.raises(CommandError, match="goes on from there"):
        sync()
    kept = Order.objects.count()
    assert 0 < kept < 36 and Connection.objects.get().state == Connection.State.FAILING
    state = Connection.objects.get().cursor["orders"]
    assert isinstance(state["page"], str) and state["read"] == 10  # two pages merged (a chunk), the third lost
    shop.fail_from.clear()
    sync()
    assert Order.objects.count() == sum(1 for o in shop.orders if o["financial_status"] != "pending")
    assert Connection.objects.get().state == Connection.State.CONNECTED


def test_a_nearly_full_bucket_is_let_drain(shop):
    slept = []
    client = Shopify(DOMAIN, TOKEN, shop.url, sleep=slept.append)
    client.store()
    assert slept == []
    shop.bucket, shop.used = 40, 35
    client.store()
    assert len(slept) == 1 and 7.5 <= slept[0] <= 8.0  # (36 - 20) / 2 a second, less what leaked meanwhile


def test_webhooks_are_checked_kept_once_and_processed(shop, connected):
    web = Client()
    new = order(1, 12)
    forged = shop.deliver(web, "orders/create", new, secret="shpss_wrong")
    assert forged.status_code == 401 and not Delivery.objects.exists()
    assert shop.deliver(web, "orders/create", new, webhook_id="w-1").status_code == 200
    assert shop.deliver(web, "orders/create", new, webhook_id="w-1").status_code == 200
    assert Delivery.objects.count() == 1
    live.process_pending()
    made = Order.objects.get(external_id=str(new["id"]))
    assert made.customer.external_id == "207119552" and Movement.objects.filter(kind="earn").count() == 1
    refund = {"id": 1, "order_id": new["id"], "created_at": "2025-10-03T10:00:00-04:00", "note": "",
              "transactions": [{"amount": "5.00", "kind": "refund", "status": "success"}]}
    shop.deliver(web, "refunds/create", refund, webhook_id="w-2")
    shop.deliver(web, "refunds/create", refund, webhook_id="w-3")  # the same refund again, another delivery
    live.process_pending()
    assert Refund.objects.filter(order=made).count() == 1
    # The customer unsubscribes in Shopify; an older update arriving late changes nothing.
    person = {"id": 207119552, "email": "pirkejas1@example.lt", "updated_at": "2025-11-02T10:00:00+02:00",
              "email_marketing_consent": {"state": "unsubscribed"}}
    stale = copy.deepcopy(person) | {"updated_at": "2025-11-01T10:00:00+02:00", "email_marketing_consent": {"state": "subscribed"}}
    shop.deliver(web, "customers/update", person, webhook_id="w-4")
    shop.deliver(web, "customers/update", stale, webhook_id="w-5")
    live.process_pending()
    assert Customer.objects.get(external_id="207119552").email_consent is False
    assert "older" in Delivery.objects.get(delivery_id="w-5").outcome


def test_a_coupon_becomes_a_price_rule_for_its_customer_and_the_order_using_it_marks_it_used(shop, connected):
    person = upsert_customer("207119551", email="pirkejas0@example.lt")[0]
    ten = Reward.objects.create(program=Program.objects.get(), name="10 % off", kind="discount_percent", value=10, cost=1)
    code = loyalty.gift_coupons(ten, [person.pk], reason="win-back", expires_at=timezone.now() + dt.timedelta(days=30))[person.pk]
    assert coupons.run()["in_store"] == 1
    rule = next(iter(shop.price_rules.values()))
    assert rule["value_type"] == "percentage" and rule["value"] == "-10.00" and rule["usage_limit"] == 1
    assert rule["prerequisite_customer_ids"] == [207119551] and rule["once_per_customer"] is True
    assert shop.codes[code]["price_rule_id"] == rule["id"]
    # A lost answer: the next try looks the code up (Shopify answers 303) instead of writing it twice.
    StoreCoupon.objects.update(state=StoreCoupon.State.PENDING, attempts=1, store_id="")
    coupons.run()
    assert len(shop.price_rules) == 1 and StoreCoupon.objects.get().store_id == str(rule["id"])

    used = order(0, 12) | {"discount_codes": [{"code": code.lower(), "amount": "2.00", "type": "percentage"}],
                           "created_at": timezone.now().isoformat()}
    shop.deliver(Client(), "orders/paid", used, webhook_id="w-9")
    live.process_pending()
    assert Coupon.objects.get(code=code).used_reference == f"shopify order {used['id']}"
    # Another code expires: it leaves the shop.
    other = loyalty.gift_coupons(ten, [person.pk], reason="x", expires_at=timezone.now() + dt.timedelta(hours=1))[person.pk]
    coupons.run()
    assert other in shop.codes
    assert coupons.run(timezone.now() + dt.timedelta(hours=2))["removed"] == 1
    assert other not in shop.codes and code in shop.codes
