"""The emails as customers get them: sent through a real SMTP server in all five languages, laid out by MJML
with the shop's colour and address, the coupon code large with its value and expiry, one button, a text part,
and under Gmail's clipping size. Each is drawn in chromium at 375 and 600 px (test-artifacts/emails/)."""

import datetime as dt
import functools
import http.server
import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from patron.commerce.models import Category, Product
from patron.customers.services import upsert_customer
from patron.messaging import clicks, services as messaging
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message
from patron.messaging.render import message_pk

pytestmark = pytest.mark.django_db

def tracked(mail, body: str, target: str) -> bool:
    """Whether `body` links to `target` through /r/, the way the message's own links record it."""
    message = Message.objects.get(pk=message_pk(mail["Message-ID"]))
    return target in message.links and f"/r/{clicks.token(message.pk, message.links.index(target))}" in body


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails"
PEOPLE = {"en": "Ieva", "lt": "Jonas", "lv": "Jānis", "et": "Mari", "ka": "ნინო"}
CODE = "WB7K-Q2MX-T9PL"


@pytest.fixture
def brand(settings):
    settings.PATRON_QUIET_HOURS = ""
    settings.PATRON_BRAND_COLOUR = "#0f766e"
    settings.PATRON_SHOP_NAME = "Arbatinė"
    settings.PATRON_SHOP_ADDRESS = "Arbatinė UAB, Vilniaus g. 1, LT-01100 Vilnius"
    settings.PATRON_SHOP_URL = "https://arbatine.lt"
    settings.PATRON_REPLY_TO = "pagalba@arbatine.lt"


@pytest.fixture
def catalogue(tmp_path):
    """Three teas in the catalogue, their pictures served by a local HTTP server as a store's would be."""
    from PIL import Image

    for sku, colour in (("t1", "#4d7c0f"), ("t2", "#7c2d12"), ("t3", "#e7e5e4")):
        Image.new("RGB", (320, 320), colour).save(tmp_path / f"{sku}.png")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tea = Category.objects.create(name="Arbata")
    for sku, name, price in (("t1", "Žalioji arbata", "6.50"), ("t2", "Juodoji arbata su bergamote", "5.90"),
                             ("t3", "Baltoji arbata", "9.00")):
        Product.objects.create(sku=sku, name=name, category=tea, price=Decimal(price), currency="EUR",
                               url=f"https://arbatine.lt/p/{sku}", image_url=f"{base}/{sku}.png")
    yield
    server.shutdown()


def test_win_back_and_a_cart_reminder_look_like_the_shops_mail_in_five_languages(brand, catalogue, mail_to, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    for language, name in PEOPLE.items():
        person, _ = upsert_customer(f"e-{language}", first_name=name, language=language, email=f"{language}@example.lt",
                                    email_consent="true")
        messaging.queue(person, "winback", context={"coupon": CODE, "discount": {"kind": "percent", "value": "15"},
                                                    "valid_until": "2027-01-15", "products": True, "offers": ["Arbata"]})
        messaging.queue(person, "abandoned_checkout", context={
            "checkout_url": "https://arbatine.lt/checkout/c-1/recover", "currency": "EUR",
            "items": [{"sku": "ARB-1", "name": "Juodoji arbata", "quantity": 2, "price": "10.00"}]})
    Message.objects.update(due_at=now - dt.timedelta(minutes=1))
    assert deliver_due(now).sent == 10
    page = browser.new_page()
    for language in PEOPLE:
        mails = {m["Subject"]: m for m in mail_to.to(f"{language}@example.lt")}
        assert len(mails) == 2
        for mail in mails.values():
            html = mail.get_body(("html",)).get_content()
            text = mail.get_body(("plain",)).get_content()
            assert len(html.encode()) < 102_000 and text.strip()  # under Gmail's clipping size, with a text part
            assert mail["Reply-To"] == "pagalba@arbatine.lt" and "Vilniaus g. 1" in html and "Vilniaus g. 1" in text
            assert "#0f766e" in html
        offer = next(m for m in mails.values() if CODE in m.get_body(("plain",)).get_content())
        html = offer.get_body(("html",)).get_content()
        assert re.search(rf"font-size:28px;[^>]*>{CODE}<", html)  # the code large, on its own
        assert "15" in html.split(CODE, 2)[-1][:400] and "2027" in html.split(CODE, 2)[-1][:400]  # its value and expiry
        # The shop's links go through Patron's click address (messaging.clicks), each to the address the mail carried.
        assert tracked(offer, html, "https://arbatine.lt")  # the button to the shop
        for sku in ("t1", "t2", "t3"):  # the product block: picture, name, price, link
            assert tracked(offer, html, f"https://arbatine.lt/p/{sku}") and f"/{sku}.png" in html
            assert tracked(offer, offer.get_body(("plain",)).get_content(), f"https://arbatine.lt/p/{sku}")
        reminder = next(m for m in mails.values() if m is not offer)
        cart = reminder.get_body(("html",)).get_content()
        assert tracked(reminder, cart, "https://arbatine.lt/checkout/c-1/recover")
        for name, mail in (("winback", offer), ("abandoned_checkout", next(m for m in mails.values() if m is not offer))):
            page.set_content(mail.get_body(("html",)).get_content(), wait_until="load")
            for width in (375, 600):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(ARTIFACTS / f"{name}-{language}-{width}.png"), full_page=True)
                # Nothing wider than the phone: no sideways scrolling in a mail app.
                assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()
