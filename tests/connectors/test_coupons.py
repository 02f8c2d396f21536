"""Patron's coupons in the shop: a journey's code is written to the store as its own coupon before the message
carrying it goes (a store that is down holds the message, never sends a code the checkout does not know),
the store's order that uses it marks Patron's coupon used, and an expired code leaves the store."""

import copy
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from patron.campaigns import services as journeys
from patron.campaigns.models import Journey
from patron.connectors import coupons, live
from patron.connectors.models import Connection, StoreCoupon
from patron.customers.services import upsert_customer
from patron.loyalty import services as loyalty
from patron.loyalty.models import Coupon, Program, Reward
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message
from tests.connectors.fake_woocommerce import KEY, SECRET, Store, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    shop = Store(customers=3)
    yield shop
    shop.close()


@pytest.fixture
def connected(store, settings):
    settings.PATRON_QUIET_HOURS = ""
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET, stdout=io.StringIO())
    return Connection.objects.get()


def birthday_today(email: str, external_id: str = "ruta"):
    today = timezone.now().date()
    return upsert_customer(external_id, email=email, first_name="Rūta", language="lt", email_consent=True,
                           birth_date=today.replace(year=1990))[0]


def run_birthday_journey():
    journeys.ensure_builtin()
    Journey.objects.filter(key="birthday").update(holdout_share=Decimal("0"))
    journeys.enable("birthday", backlog=True, now=timezone.now() - dt.timedelta(minutes=1))  # today's birthdays too
    journeys.run(keys=["birthday"])


def test_a_journeys_coupon_reaches_the_store_before_its_email_and_the_stores_order_marks_it_used(store, connected, mail_to):
    ruta = birthday_today("pirkeja1@example.lt", external_id="101")
    run_birthday_journey()
    coupon = Coupon.objects.get(customer=ruta)
    # The store does not know the code yet: the email waits.
    assert deliver_due().sent == 0 and not mail_to.messages
    assert Message.objects.get(customer=ruta).status == Message.Status.QUEUED

    assert coupons.run()["in_store"] == 1
    made = next(iter(store.coupons.values()))
    assert made["code"] == coupon.code.lower() and made["discount_type"] == "percent" and made["amount"] == "10.00"
    assert made["usage_limit"] == 1 and made["usage_limit_per_user"] == 1
    assert made["email_restrictions"] == ["pirkeja1@example.lt"]
    assert made["date_expires_gmt"] == coupon.expires_at.strftime("%Y-%m-%dT%H:%M:%S")
    assert coupons.run()["in_store"] == 0  # written once

    later = timezone.now() + dt.timedelta(minutes=2)  # the hold is a minute
    assert deliver_due(later).sent == 1
    assert coupon.code in mail_to.to("pirkeja1@example.lt")[0].get_body(("plain",)).get_content()

    # Rūta pays with the code at the store's checkout: the order's webhook marks Patron's coupon used.
    paid = order(1, 3) | {"customer_id": 101, "date_modified_gmt": "2025-10-02T12:30:00",
                          "date_created_gmt": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
                          "coupon_lines": [{"id": 1, "code": made["code"], "discount": "1.15"}]}
    assert store.deliver(Client(), "order.created", paid, delivery_id="o-1").status_code == 200
    live.process_pending()
    coupon.refresh_from_db()
    assert coupon.used_at is not None and coupon.used_reference == "woocommerce order 5001"
    assert StoreCoupon.objects.get().state == StoreCoupon.State.USED
    coupons.run()
    assert made["id"] in store.coupons  # used at the store: the store's own usage limit holds it


def test_a_store_that_is_down_holds_the_message_until_it_knows_the_code(store, connected, mail_to):
    birthday_today("a@example.lt")
    run_birthday_journey()
    store.down = True
    assert coupons.run()["waiting"] == 1
    row = StoreCoupon.objects.get()
    assert row.state == StoreCoupon.State.PENDING and "503" in row.last_error and row.next_try_at > timezone.now()
    Connection.objects.get().state == Connection.State.FAILING
    assert deliver_due(timezone.now() + dt.timedelta(minutes=2)).sent == 0 and not mail_to.messages
    assert coupons.run(timezone.now())["waiting"] == 0  # not asked again before its time
    store.down = False
    after = timezone.now() + dt.timedelta(minutes=5)
    assert coupons.run(after)["in_store"] == 1
    assert len(store.coupons) == 1
    assert deliver_due(after + dt.timedelta(minutes=2)).sent == 1


def test_a_code_the_store_took_before_its_answer_was_lost_is_not_written_twice(store, connected):
    birthday_today("a@example.lt")
    run_birthday_journey()
    coupons.run()
    row = StoreCoupon.objects.get()
    StoreCoupon.objects.filter(pk=row.pk).update(state=StoreCoupon.State.PENDING, attempts=1, store_id="")
    assert coupons.run()["in_store"] == 1
    assert len(store.coupons) == 1 and StoreCoupon.objects.get().store_id == row.store_id


def test_an_amount_coupon_in_another_currency_is_refused_and_its_message_never_goes(store, connected, mail_to):
    program = Program.objects.get()
    lari = Reward.objects.create(program=Program.objects.create(name="Varskvlavebi", currency="GEL"), name="20 GEL",
                                 kind="discount_amount", value=20, cost=1)
    person = birthday_today("b@example.lt")
    code = loyalty.gift_coupons(lari, [person.pk], reason="apology")[person.pk]
    message = Message.objects.create(customer=person, template="birthday", channel="email", purpose="marketing",
                                     created_at=timezone.now(), due_at=timezone.now(),
                                     context={"coupon": code, "discount": {"kind": "amount", "value": "20", "currency": "GEL"}})
    assert coupons.run()["refused"] == 1 and not store.coupons
    assert "sells in EUR" in StoreCoupon.objects.get().last_error
    deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SUPPRESSED and message.reason == "coupon_refused_by_store"
    assert not mail_to.messages and program.pk


def test_a_free_product_coupon_names_the_stores_product_and_an_expired_code_leaves_the_store(store, connected):
    tea = Reward.objects.create(program=Program.objects.get(), name="Free tea", kind="free_product", sku="ARB-1", cost=1)
    person = birthday_today("c@example.lt")
    code = loyalty.gift_coupons(tea, [person.pk], reason="apology", expires_at=timezone.now() + dt.timedelta(days=1))[person.pk]
    coupons.run()
    made = next(iter(store.coupons.values()))
    assert made["product_ids"] == [93] and made["amount"] == "100" and made["limit_usage_to_x_items"] == 1
    assert made["code"] == code.lower()
    assert coupons.run(timezone.now() + dt.timedelta(days=2))["removed"] == 1
    assert not store.coupons and StoreCoupon.objects.get().state == StoreCoupon.State.REMOVED


def test_gifts_without_a_code_at_checkout_are_not_written_and_their_messages_go(store, connected, mail_to):
    mug = Reward.objects.create(program=Program.objects.get(), name="Mug", kind="gift", cost=1)
    person = birthday_today("d@example.lt")
    code = loyalty.gift_coupons(mug, [person.pk], reason="thanks")[person.pk]
    Message.objects.create(customer=person, template="birthday", channel="email", purpose="marketing",
                           created_at=timezone.now(), due_at=timezone.now(),
                           context={"coupon": code, "discount": {"kind": "percent", "value": "0"}})
    assert coupons.run().get("tracked") == 0 and not store.coupons
    assert deliver_due().sent == 1


def test_a_paused_connection_is_not_written_to_and_holds_nothing(store, connected, mail_to):
    Connection.objects.update(state=Connection.State.PAUSED)
    birthday_today("e@example.lt")
    run_birthday_journey()
    assert coupons.run() == {} and not store.coupons
    assert deliver_due().sent == 1


def test_a_backfilled_order_that_used_a_code_marks_it_used_once(store, connected):
    person = birthday_today("pirkeja1@example.lt", external_id="101")
    run_birthday_journey()
    code = Coupon.objects.get(customer=person).code
    store.orders = [copy.deepcopy(order(1, 3)) | {"customer_id": 101, "coupon_lines": [{"code": code.lower()}],
                                                  "date_created_gmt": timezone.now().strftime("%Y-%m-%dT%H:%M:%S")}]
    out = io.StringIO()
    call_command("sync", stdout=out)
    assert "1 of Patron's coupons used" in out.getvalue()
    assert Coupon.objects.get(code=code).used_reference == "woocommerce order 5001"
    call_command("sync", "--again", stdout=(again := io.StringIO()))
    assert "0 of Patron's coupons used" in again.getvalue()


def test_a_code_that_expires_while_the_store_is_down_is_never_written(store, connected):
    tea = Reward.objects.create(program=Program.objects.get(), name="5 % off", kind="discount_percent", value=5, cost=1)
    person = birthday_today("f@example.lt")
    loyalty.gift_coupons(tea, [person.pk], reason="x", expires_at=timezone.now() + dt.timedelta(hours=1))
    store.down = True
    assert coupons.run()["waiting"] == 1
    store.down = False
    coupons.run(timezone.now() + dt.timedelta(hours=2))
    assert not store.coupons and StoreCoupon.objects.get().state == StoreCoupon.State.REMOVED
