"""Clicks: a message's shop links go through /r/<token>, which records the click once per message and link and
sends the customer on; a tampered token is refused (no open redirect); an order within the attribution window
after a click is the message's revenue, one outside it is not."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from patron.campaigns import reports, services as journeys
from patron.campaigns.models import Journey
from patron.commerce.services import record_order
from patron.customers.models import Customer
from patron.messaging import clicks, services
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Click, Message

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example/lt?utm_source=patron&amp;x=1"


@pytest.fixture
def sent(mail_to, settings):
    settings.PATRON_BASE_URL = "http://testserver"
    settings.PATRON_SHOP_URL = "https://shop.example/lt"
    settings.PATRON_QUIET_HOURS = ""
    journeys.ensure_builtin()
    journey = Journey.objects.get(key="winback")
    ona = Customer.objects.create(external_id="ona", email="ona@example.lt", email_consent=True, language="lt")
    message = services.queue(ona, "winback", context={"coupon": "ABCD-EFGH", "discount": {"kind": "percent", "value": "15"}})
    Message.objects.filter(pk=message.pk).update(journey=journey)
    assert deliver_due().sent == 1
    [mail] = mail_to.to("ona@example.lt")
    return journey, ona, Message.objects.get(pk=message.pk), mail.get_body(preferencelist=("html",)).get_content()


def test_shop_links_go_through_r_and_patrons_own_links_do_not(sent):
    _journey, _ona, message, html = sent
    tracked = re.findall(r'href="(http://testserver/r/[^"]+)"', html)
    assert tracked and message.links == ["https://shop.example/lt"]
    assert "https://shop.example/lt" not in html  # the shop is reached only through /r/
    assert re.search(r'href="http://testserver/m/unsubscribe/', html)  # Patron's own links stay as they are


def test_a_click_is_recorded_once_per_message_and_link_and_a_tampered_token_is_refused(sent):
    _journey, _ona, message, html = sent
    address = re.search(r'href="http://testserver(/r/[^"]+)"', html).group(1)
    browser = Client()
    first = browser.get(address)
    assert first.status_code == 302 and first["Location"] == "https://shop.example/lt" and first["Referrer-Policy"] == "no-referrer"
    browser.get(address)
    click = Click.objects.get()
    assert (click.message_id, click.link, click.count) == (message.pk, 0, 2)
    token = address.rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert browser.get(f"/r/{forged}").status_code == 400
    assert browser.get(f"/r/{clicks.token(message.pk, 1)}").status_code == 400  # a link the message never had
    assert browser.get(f"/r/{clicks.token(message.pk + 1, 0)}").status_code == 400  # another message: no such one
    assert browser.head(address).status_code == 302 and Click.objects.get().count == 2  # a link checker is no click
    assert clicks.read("1-0-" + "x" * 12) is None and clicks.read("nonsense") is None


def test_an_order_within_the_window_after_a_click_is_attributed_one_outside_is_not(sent, settings):
    settings.PATRON_ATTRIBUTION_DAYS = 5
    journey, ona, message, _html = sent
    clicked = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert clicks.follow(clicks.token(message.pk, 0), at=clicked) == "https://shop.example/lt"
    record_order(ona, "before", total=Decimal("10.00"), currency="EUR", placed_at=clicked - dt.timedelta(hours=1))
    record_order(ona, "within", total=Decimal("44.18"), currency="EUR", placed_at=clicked + dt.timedelta(days=2))
    record_order(ona, "after", total=Decimal("99.00"), currency="EUR", placed_at=clicked + dt.timedelta(days=6))
    other = Customer.objects.create(external_id="jonas")
    record_order(other, "someone-else", total=Decimal("70.00"), currency="EUR", placed_at=clicked + dt.timedelta(days=1))
    report = reports.clicks(journey)
    assert (report["clicks"], report["messages_clicked"], report["orders"], report["revenue"]) == (1, 1, 1, 44.18)
    assert report["by_message"] == [{"template": "winback", "clicks": 1, "orders": 1, "revenue": 44.18}]
    # A later click on another journey's message takes the orders after it: no order is claimed twice.
    welcome = Journey.objects.get(key="welcome")
    later = Message.objects.create(customer=ona, journey=welcome, template="welcome", channel="email", status="sent",
                                   created_at=clicked, due_at=clicked, links=["https://shop.example/new"])
    clicks.follow(clicks.token(later.pk, 0), at=clicked + dt.timedelta(days=1))
    both = reports.clicks_of([journey, welcome])
    # The 99.00 order six days after the first click is within five days of the second.
    assert (both[journey.pk]["orders"], both[welcome.pk]["orders"], both[welcome.pk]["revenue"]) == (0, 2, 143.18)
    assert reports.clicks(journey)["orders"] == 0 and both[journey.pk]["clicks"] == 1


def test_a_full_stop_after_an_address_in_the_text_is_not_part_of_it(settings):
    from patron.messaging.render import Rendered

    settings.PATRON_BASE_URL = "http://testserver"
    rendered = Rendered("lt", "s", "See https://shop.example/sale. Or http://testserver/m/x/.", "<p></p>", "", {})
    tracked, links = clicks.track(Message(pk=7), rendered)
    assert links == ["https://shop.example/sale"]
    assert tracked.text == f"See http://testserver/r/{clicks.token(7, 0)}. Or http://testserver/m/x/."


def test_opens_are_off_by_default_and_when_switched_on_the_image_records_the_first_open(mail_to, settings, sent):
    _journey, ona, message, html = sent
    assert "/o/" not in html and Client().get(f"/o/{clicks.token(message.pk, clicks.OPEN)}.gif").status_code == 200
    assert Message.objects.get(pk=message.pk).opened_at is None  # off: the image is given, nothing is recorded
    settings.PATRON_TRACK_OPENS = True
    second = services.queue(ona, "winback", context={"coupon": "ZZZZ-YYYY", "discount": {"kind": "percent", "value": "15"}})
    assert deliver_due().sent == 1
    body = mail_to.to("ona@example.lt")[-1].get_body(preferencelist=("html",)).get_content()
    image = re.search(r'<img src="http://testserver(/o/[^"]+\.gif)" width="1" height="1" alt=""', body).group(1)
    assert body.index(image) > body.index("unsubscribe")  # at the end, after the footer
    browser = Client()
    first = browser.get(image)
    assert first.status_code == 200 and first["Content-Type"] == "image/gif" and first["Cache-Control"] == "no-store, private"
    browser.get(image)
    opened = Message.objects.get(pk=second.pk)
    assert opened.opened_at is not None and opened.opens == 2
    forged = image[:-5] + ("A" if image[-5] != "A" else "B") + ".gif"
    assert browser.get(forged).status_code == 200 and Message.objects.filter(opens__gt=0).count() == 1
    assert browser.get(f"/r/{clicks.token(second.pk, clicks.OPEN)}").status_code == 400  # an open is no link
    Message.objects.filter(pk=second.pk).update(journey=_journey)
    assert reports.clicks(_journey)["messages_opened"] == 1
