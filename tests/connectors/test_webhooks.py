"""Live: the store's webhooks, signed as WooCommerce signs them, are checked before anything is read (a forged
or missing signature is 401 and nothing is kept), stored and answered at once, then processed by the worker:
an order earns its points once, the same delivery twice and an older update after a newer one change nothing."""

import copy
import io

import pytest
from django.core.management import call_command
from django.test import Client

from patron.commerce.models import Order
from patron.connectors import live
from patron.connectors.models import Connection, Delivery
from patron.customers.models import Customer
from patron.loyalty.models import Movement, Program
from tests.connectors.fake_woocommerce import KEY, SECRET, Store, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    shop = Store(customers=3)
    yield shop
    shop.close()


@pytest.fixture
def connected(store):
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET, stdout=io.StringIO())
    return Connection.objects.get()


def test_a_live_order_is_taken_once_and_earns_once(store, connected):
    web = Client()
    new = order(1, 3) | {"date_modified_gmt": "2025-10-02T12:30:00"}  # a registered customer's paid order
    new["customer_id"] = 0  # a guest, so the delivery brings the customer too
    assert store.deliver(web, "order.created", new, delivery_id="d-1").status_code == 200
    assert store.deliver(web, "order.created", new, delivery_id="d-1").status_code == 200  # delivered twice
    assert Delivery.objects.count() == 1 and not Order.objects.exists()  # answered before any processing
    assert live.process_pending() == 1
    made = Order.objects.get(external_id="5001")
    assert made.customer.external_id == "guest:pirkeja1@example.lt" and made.total == 11.5
    assert Movement.objects.filter(kind="earn", reference="5001").count() == 1
    # The same order updated (refunded), then an older update arriving late: the newer state stays.
    refunded = copy.deepcopy(new) | {"status": "refunded", "date_modified_gmt": "2025-10-05T09:00:00"}
    stale = copy.deepcopy(new) | {"status": "completed", "date_modified_gmt": "2025-10-03T09:00:00"}
    store.deliver(web, "order.updated", refunded, delivery_id="d-2")
    store.deliver(web, "order.updated", stale, delivery_id="d-3")
    assert live.process_pending() == 2
    made.refresh_from_db()
    assert made.status == "refunded"
    # Refunded whole in the shop: the order's points are taken back, once.
    earned = Movement.objects.get(kind="earn", reference="5001").points
    assert [m.points for m in Movement.objects.filter(kind="reverse", reference="5001")] == [-earned]
    assert "older than a change already taken" in Delivery.objects.get(delivery_id="d-3").outcome
    assert Movement.objects.filter(kind="earn", reference="5001").count() == 1


def test_a_forged_or_missing_signature_is_401_and_nothing_is_kept(store, connected):
    web = Client()
    forged = store.deliver(web, "order.created", order(2, 3), secret="not the webhook secret")
    assert forged.status_code == 401 and forged.json()["code"] == "webhook_refused"
    unsigned = web.post(f"/hooks/woocommerce/{connected.pk}", b'{"id": 1}', content_type="application/json",
                        headers={"X-WC-Webhook-Topic": "order.created"})
    assert unsigned.status_code == 401
    assert web.post("/hooks/woocommerce/999", b"{}", content_type="application/json").status_code == 404
    assert not Delivery.objects.exists() and not Order.objects.exists()


def test_the_ping_woocommerce_sends_on_creating_a_webhook_is_answered(store, connected):
    import base64
    import hashlib
    import hmac

    body = b"webhook_id=1"
    secret = store.webhooks[0]["secret"]
    signed = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    ping = Client().post(f"/hooks/woocommerce/{connected.pk}", body, content_type="application/x-www-form-urlencoded",
                         headers={"X-WC-Webhook-Signature": signed})
    assert ping.status_code == 200 and not Delivery.objects.exists()


def test_a_live_customer_update_is_saved_and_an_unpaid_order_waits(store, connected):
    web = Client()
    person = {"id": 300, "email": "Naujas@Example.lt", "first_name": "Jonas", "last_name": "Naujas",
              "date_modified_gmt": "2025-10-01T10:00:00", "billing": {"country": "LT", "phone": ""}}
    store.deliver(web, "customer.created", person, delivery_id="c-1")
    pending = order(9, 3)  # 9 % 10 == 9: pending payment
    store.deliver(web, "order.created", pending, delivery_id="o-9")
    live.process_pending()
    assert Customer.objects.get(external_id="300").email == "naujas@example.lt"
    assert not Order.objects.exists()
    assert "not an order yet (pending)" in Delivery.objects.get(delivery_id="o-9").outcome


def test_a_partial_refund_in_a_live_update_takes_back_its_share_once(store, connected):
    web = Client()
    paid = order(3, 3) | {"refunds": [], "date_modified_gmt": "2025-10-02T12:30:00"}  # 13.50, a registered customer
    Customer.objects.create(external_id=str(paid["customer_id"]), email="pirkeja0@example.lt")
    store.deliver(web, "order.created", paid, delivery_id="p-1")
    live.process_pending()
    earned = Movement.objects.get(kind="earn", reference="5003").points
    refunded = copy.deepcopy(paid) | {"refunds": [{"id": 77, "reason": "", "total": "-10.00"}],
                                      "date_modified_gmt": "2025-10-03T08:00:00"}
    store.deliver(web, "order.updated", refunded, delivery_id="p-2")
    store.deliver(web, "order.updated", refunded | {"date_modified_gmt": "2025-10-03T08:00:01"}, delivery_id="p-3")
    live.process_pending()
    made = Order.objects.get(external_id="5003")
    assert [r.external_id for r in made.refunds.all()] == ["wc-refund-77"]
    taken = -sum(m.points for m in Movement.objects.filter(kind="reverse", reference="5003"))
    assert taken == int(earned * 10 / 13.5)
