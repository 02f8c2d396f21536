"""A Latvian customer lapses, gets the win-back mail in Latvian with a unique coupon, unsubscribes, hears nothing more."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.test import Client

from patron.campaigns import services as journeys
from patron.commerce import services as commerce
from patron.customers import services as customers
from patron.customers.models import ConsentEvent, Customer
from patron.insights.services import refresh_scores
from patron.loyalty.models import Coupon, Program
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)  # the scoring reads committed orders
NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)  # 12:00 in Riga: outside quiet hours


def buyer(external_id, language, days_between, last_days_ago, n=4, **fields):
    customer, _ = customers.upsert_customer(external_id, language=language, email=f"{external_id}@example.lv",
                                            email_consent="true", **fields)
    for i in range(n):
        placed = NOW - dt.timedelta(days=last_days_ago + days_between * (n - 1 - i))
        commerce.record_order(customer, f"{external_id}-{i}", placed_at=placed, total="30", currency="EUR")
    return customer


def test_lapsed_latvian_customer_gets_winback_in_latvian_and_unsubscribes(mail_to, settings):
    settings.PATRON_QUIET_HOURS = "21-8"
    Program.objects.create(name="Patron Rewards", currency="EUR")
    ilze = buyer("ilze", "lv", days_between=14, last_days_ago=90, country="LV")  # a two-week rhythm, silent 90 days
    buyer("peteris", "lv", days_between=14, last_days_ago=5, country="LV")  # still buying: not lapsed
    for i in range(30):  # enough history for the models
        buyer(f"x{i}", "en", days_between=10 + i, last_days_ago=i * 3, n=3)
    refresh_scores(NOW)
    today = journeys.qualifying("winback", now=NOW)
    journeys.enable("winback", backlog=True, now=NOW)  # the marketer takes in those lapsed already
    journeys.enable("winback", now=NOW)  # enabling twice changes nothing
    journeys.Journey.objects.filter(key="winback").update(holdout_share=0)
    result = journeys.run(NOW)
    journeys.run(NOW)  # idempotent: nobody enters twice for the same lapse
    assert result.entered["winback"] == today >= 1  # the number the marketer was shown
    delivered = deliver_due(NOW)
    assert delivered.sent >= 1

    [mail] = mail_to.to("ilze@example.lv")
    assert not mail_to.to("peteris@example.lv")
    assert mail["Subject"] == "Mums Jūs pietrūkst" and mail["Content-Language"] == "lv"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="lv" ' in html and "dāvinām Jums 15% atlaidi" in text and "(derīgs līdz 10.07.2026.)" in text
    code = re.search(r"kodu ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})", text).group(1)
    coupon = Coupon.objects.get(code=code)
    assert coupon.customer_id == ilze.pk and coupon.movement is None and coupon.expires_at == NOW + dt.timedelta(days=30)
    assert Coupon.objects.filter(reward=coupon.reward).values("code").distinct().count() == Coupon.objects.filter(reward=coupon.reward).count()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<patron\.\d+\.[0-9a-f]{12}@[^>]+>", mail["Message-ID"])

    # RFC 8058 one-click: the provider POSTs to the List-Unsubscribe URL without any cookie or CSRF token.
    url = urlparse(re.search(r"<([^>]+)>", str(mail["List-Unsubscribe"])).group(1))
    client = Client(enforce_csrf_checks=True)
    page = client.get(url.path)
    assert page.status_code == 200 and b'<html lang="lv">' in page.content and Customer.objects.get(pk=ilze.pk).email_consent
    response = client.post(url.path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "vairs nesaņemsiet" in response.content.decode()
    assert Customer.objects.get(pk=ilze.pk).email_consent is False
    assert ConsentEvent.objects.filter(customer=ilze, source=ConsentEvent.Source.UNSUBSCRIBE, granted=False).count() == 1

    # Nothing more arrives: a birthday greeting queued after the unsubscribe is suppressed.
    Customer.objects.filter(pk=ilze.pk).update(birth_date=dt.date(1990, 6, 11))
    journeys.enable("birthday", now=NOW)
    journeys.Journey.objects.filter(key="birthday").update(holdout_share=0)  # she must not be held out by chance
    later = NOW + dt.timedelta(days=1)
    journeys.run(later)
    deliver_due(later)
    assert len(mail_to.to("ilze@example.lv")) == 1
    suppressed = Message.objects.get(customer=ilze, template="birthday")
    assert (suppressed.status, suppressed.reason) == ("suppressed", "no_consent")


def test_a_bad_link_gets_a_clear_page_not_an_error(db):
    response = Client().post("/m/unsubscribe/not-a-token/")
    assert response.status_code == 400 and b"not valid" in response.content
