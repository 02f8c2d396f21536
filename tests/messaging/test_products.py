"""The product block: a send step that asks for it gets three products from the catalogue in the customer's
next-best categories, best sellers first and none they bought, with image, name, price and link, in the HTML and
the text part; without a catalogue, the categories' names."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.campaigns import design
from patron.campaigns import services as journeys
from patron.commerce import services as commerce
from patron.commerce.models import Category, Product
from patron.customers import services as customers
from patron.insights.models import CustomerScore
from patron.messaging import clicks
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def ona(db, settings):
    settings.PATRON_QUIET_HOURS = ""
    person, _ = customers.upsert_customer("ona", language="lt", email="ona@example.lt", email_consent="true", first_name="Ona")
    now = timezone.now()
    CustomerScore.objects.create(customer=person, next_best_offers=["Arbata", "Medus"], recency_days=3, frequency=1,
                                 monetary=Decimal("6.5"), r_score=5, f_score=1, m_score=1, segment="New", segment_since=now,
                                 quadrant="none", scored_at=now)
    return person


def catalogue():
    tea, honey = Category.objects.create(name="Arbata"), Category.objects.create(name="Medus")
    for sku, name, category, price in [("T1", "Žalioji arbata", tea, "6.50"), ("T2", "Juodoji arbata", tea, "5.90"),
                                       ("T3", "Baltoji arbata", tea, "9.00"), ("H1", "Liepų medus", honey, "8.00")]:
        Product.objects.create(sku=sku, name=name, category=category, price=Decimal(price), currency="EUR",
                               url=f"https://arbatine.lt/p/{sku.lower()}", image_url=f"https://arbatine.lt/img/{sku.lower()}.jpg")


def journey_with_products():
    found = design.save(None, design.Design(name="Naujienos", trigger="signed_up", holdout_share=Decimal("0"),
                                            steps=[("send", {"template": "welcome", "products": True})]))
    journeys.enable(found.key, backlog=True)
    return found


def test_three_products_from_the_next_best_categories_none_already_bought(ona, mail_to):
    catalogue()
    # A best seller of the last 90 days comes first; the tea Ona bought is left out.
    other, _ = customers.upsert_customer("kitas", email="k@example.lt")
    now = timezone.now()
    for i in range(3):
        commerce.record_order(other, f"o{i}", placed_at=now - dt.timedelta(days=i + 1), total="9", currency="EUR",
                              lines=[{"sku": "T3", "quantity": 1, "unit_price": "9.00"}])
    commerce.record_order(ona, "mine", placed_at=now - dt.timedelta(days=3), total="6.5", currency="EUR",
                          lines=[{"sku": "T1", "quantity": 1, "unit_price": "6.50"}])
    journey_with_products()
    journeys.run()
    assert Message.objects.get(customer=ona).context["products"] is True
    deliver_due()
    [mail] = mail_to.to("ona@example.lt")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "Jums taip pat gali patikti" in html
    assert html.index("Baltoji arbata") < html.index("Juodoji arbata") < html.index("Liepų medus")
    assert "Žalioji arbata" not in html
    # The picture loads from the shop; the product's page is reached through Patron's click address.
    assert "https://arbatine.lt/img/t3.jpg" in html and 'href="https://arbatine.lt/p/t3"' not in html
    links = Message.objects.get(customer=ona).links
    assert "https://arbatine.lt/p/t3" in links
    assert f"/r/{clicks.token(Message.objects.get(customer=ona).pk, links.index('https://arbatine.lt/p/t3'))}" in html
    assert "9,00\xa0€" in html
    assert re.search(r"- Baltoji arbata, 9,00\xa0€: \S+/r/\S+", text)


def test_without_a_catalogue_the_categories_are_named(ona, mail_to):
    journey_with_products()
    journeys.run()
    deliver_due()
    [mail] = mail_to.to("ona@example.lt")
    assert "Jums taip pat gali patikti: Arbata ir Medus" in mail.get_body(("plain",)).get_content()


def test_a_step_without_the_block_sends_none(ona, mail_to):
    catalogue()
    found = design.save(None, design.Design(name="Be prekių", trigger="signed_up", holdout_share=Decimal("0"),
                                            steps=[("send", {"template": "welcome"})]))
    journeys.enable(found.key, backlog=True)
    journeys.run()
    deliver_due()
    [mail] = mail_to.to("ona@example.lt")
    assert "Baltoji arbata" not in mail.get_body(("html",)).get_content()
