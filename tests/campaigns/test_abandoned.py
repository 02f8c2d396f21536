"""Abandoned checkout and browse abandonment, end to end: storefront events through POST /api/v1/events (a
publishable key and the shop's signed token), Shopify's checkout webhooks, the built-in journeys (an hour,
then a day; stopped by a purchase), and the emails as an SMTP server receives them."""

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from patron.api.services import create_key
from patron.campaigns import services as journeys
from patron.campaigns.models import Journey
from patron.commerce import services as commerce
from patron.commerce.storefront import CHECKOUT
from patron.core.errors import InvalidInput
from patron.customers.models import Interaction
from patron.customers.services import upsert_customer
from patron.customers.shop_tokens import signature
from patron.messaging import clicks
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message

pytestmark = pytest.mark.django_db
SECRET = "shop-secret-for-tokens-0123456789"


@pytest.fixture
def shop(settings):
    settings.PATRON_PORTAL_SHOP_SECRET = SECRET
    settings.PATRON_QUIET_HOURS = ""
    settings.PATRON_SHOP_NAME = "Arbatinė"
    commerce.save_product("ARB-1", name="Juodoji arbata", url="https://arbatine.lt/p/juodoji", price="10.00", currency="EUR")
    commerce.save_product("PUO-1", name="Puodelis", url="https://arbatine.lt/p/puodelis", price="7.50", currency="EUR")
    _key, secret = create_key("storefront", ["events:write"])
    person = upsert_customer("ruta", email="ruta@example.lt", first_name="Rūta", language="lt", email_consent=True)[0]
    return secret, person


def event(secret, kind, items, *, customer="ruta", sign=SECRET, **extra):
    expires = int(time.time()) + 600
    body = {"key": secret, "customer": customer, "expires": expires,
            "signature": signature(customer, expires, sign), "kind": kind, "items": items, **extra}
    # As the storefront script sends it: text/plain, a simple request without a CORS preflight.
    return Client().post("/api/v1/events", json.dumps(body), content_type="text/plain")


def switch_on(key: str):
    journeys.ensure_builtin()
    Journey.objects.filter(key=key).update(holdout_share=0)
    journeys.enable(key, now=timezone.now() - dt.timedelta(minutes=5))


def test_an_abandoned_checkout_gets_its_cart_after_an_hour_and_a_reminder_after_a_day(shop, mail_to):
    secret, person = shop
    cart = [{"sku": "ARB-1", "quantity": 2, "price": "10.00"}, {"sku": "PUO-1"}]
    answer = event(secret, "checkout_started", cart, checkout="c-1", checkout_url="https://arbatine.lt/checkout/c-1/recover")
    assert answer.status_code == 202 and answer.json() == {"recorded": True}
    # The cart changes: the same checkout, updated, not a second one.
    cart[0]["quantity"] = 3
    assert event(secret, "checkout_started", cart, checkout="c-1").json() == {"recorded": False}
    kept = Interaction.objects.get(kind=CHECKOUT)
    assert kept.payload["items"][0]["quantity"] == 3 and kept.payload["items"][1]["name"] == "Puodelis"

    switch_on("abandoned_checkout")
    now = timezone.now()
    journeys.run(now, keys=["abandoned_checkout"])
    assert not Message.objects.exists()  # an hour first
    journeys.run(now + dt.timedelta(minutes=61), keys=["abandoned_checkout"])
    assert deliver_due(now + dt.timedelta(minutes=62)).sent == 1
    mail = mail_to.to("ruta@example.lt")[0]
    body = mail.get_body(("plain",)).get_content()
    assert mail["Subject"].strip() == "Jūsų krepšelis parduotuvėje „Arbatinė“ laukia"
    assert "Juodoji arbata × 3, 30,00\xa0€" not in body  # the price is each one's, as the cart showed it
    assert "Juodoji arbata × 3, 10,00\xa0€" in body and "Puodelis, 7,50\xa0€" in body
    # The cart's links lead to the shop through Patron's click address (messaging.clicks), in text and HTML alike.
    links = Message.objects.get().links
    assert {"https://arbatine.lt/p/juodoji", "https://arbatine.lt/p/puodelis"} <= set(links)
    assert "https://arbatine.lt/p/juodoji" not in body and "/r/" in body
    html = mail.get_body(("html",)).get_content()
    assert 'href="https://arbatine.lt/p/puodelis"' not in html
    assert Client().get(f"/r/{clicks.token(Message.objects.get().pk, links.index('https://arbatine.lt/p/puodelis'))}")["Location"] \
        == "https://arbatine.lt/p/puodelis"
    journeys.run(now + dt.timedelta(hours=25), keys=["abandoned_checkout"])
    deliver_due(now + dt.timedelta(hours=25, minutes=1))
    assert [m["Subject"].strip() for m in mail_to.to("ruta@example.lt")][1] == "Vis dar svarstote?"


def test_a_purchase_stops_the_abandoned_checkout_journey(shop, mail_to):
    secret, person = shop
    event(secret, "checkout_started", [{"sku": "ARB-1"}], checkout="c-2")
    switch_on("abandoned_checkout")
    now = timezone.now()
    journeys.run(now, keys=["abandoned_checkout"])
    commerce.record_order(person, "o-1", placed_at=now + dt.timedelta(minutes=20), total="10.00", currency="EUR")
    journeys.run(now + dt.timedelta(minutes=61), keys=["abandoned_checkout"])
    journeys.run(now + dt.timedelta(hours=25), keys=["abandoned_checkout"])
    assert not Message.objects.exists()
    assert Journey.objects.get(key="abandoned_checkout").enrollments.get().finished_at is not None


def test_browse_abandonment_speaks_of_the_product_unless_it_went_into_the_cart(shop, mail_to, settings):
    secret, person = shop
    other = upsert_customer("jonas", email="jonas@example.lt", language="en", email_consent=True)[0]
    assert event(secret, "product_viewed", [{"sku": "ARB-1"}]).json() == {"recorded": True}
    assert event(secret, "product_viewed", [{"sku": "ARB-1"}]).json() == {"recorded": False}  # once a day
    event(secret, "product_viewed", [{"sku": "PUO-1"}], customer="jonas")
    switch_on("browse_abandonment")
    now = timezone.now()
    journeys.run(now, keys=["browse_abandonment"])
    event(secret, "added_to_cart", [{"sku": "PUO-1"}], customer="jonas")  # Jonas put it in the cart: no email
    journeys.run(now + dt.timedelta(hours=5), keys=["browse_abandonment"])
    deliver_due(now + dt.timedelta(hours=5, minutes=1))
    assert not mail_to.to(other.email)
    mail = mail_to.to("ruta@example.lt")[0]
    assert mail["Subject"].strip() == "Juodoji arbata: vis dar domina?"


def test_only_a_publishable_key_and_a_signed_customer_may_write_events(shop):
    secret, _person = shop
    _key, full = create_key("backend", ["customers:write"])
    assert event(full, "product_viewed", [{"sku": "ARB-1"}]).status_code == 401
    assert event("pat_nope_nope", "product_viewed", [{"sku": "ARB-1"}]).status_code == 401
    forged = event(secret, "product_viewed", [{"sku": "ARB-1"}], sign="another-secret")
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_link"
    assert event(secret, "bought_a_car", [{"sku": "ARB-1"}]).status_code == 422
    no_token = event(secret, "checkout_started", [{"sku": "ARB-1"}])
    assert no_token.status_code == 422 and no_token.json()["details"]["field"] == "checkout"
    assert not Interaction.objects.exists()
    with pytest.raises(InvalidInput, match="publishable"):
        create_key("mixed", ["events:write", "customers:read"])
