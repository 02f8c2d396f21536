"""The journeys page as a marketer reads a test of two versions: each variant's customers, conversion and revenue
per customer, the one favoured, the pooled probability the journey helps, clicks and the orders after them, and a
button that makes the favoured variant the winner."""

import datetime as dt
import random
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from patron.campaigns import design
from patron.campaigns.models import Enrollment, Journey
from patron.commerce import services as commerce
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.dashboard import snapshots
from patron.messaging.models import Click, Message, MessageTemplate

pytestmark = pytest.mark.django_db


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


@pytest.fixture
def tested(db) -> Journey:
    """A journey whose variant B converted 30 % of 300 customers and A 10 %, with held-out customers buying at 5 %."""
    MessageTemplate.objects.create(key="offer_b", language="en", subject="Another way to say it", text="Hello")
    journey = design.save(None, design.Design(name="Offer test", trigger="signed_up", holdout_share=Decimal("0.2"),
                                              steps=[("send", {"template": "welcome", "variants": ["offer_b"]})]))
    entered = timezone.now() - dt.timedelta(days=40)
    Customer.objects.bulk_create([Customer(external_id=f"v{i}", created_at=entered) for i in range(700)])
    for i, customer in enumerate(Customer.objects.filter(external_id__startswith="v").order_by("pk")):
        arm, variant, rate = ("holdout", None, 20) if i >= 600 else ("treated", i % 2, 3 if i % 2 else 10)
        enrollment = Enrollment.objects.create(journey=journey, customer=customer, trigger_key="x", arm=arm, variant=variant,
                                               entered_at=entered, due_at=entered, position=1, finished_at=entered)
        if (i // 2) % rate == 0:
            commerce.record_order(customer, f"o{i}", placed_at=entered + dt.timedelta(days=2), total="30", currency="EUR")
        if arm == "treated" and i < 40:
            message = Message.objects.create(customer=customer, journey=journey, enrollment=enrollment, template="welcome",
                                             channel="email", status="sent", created_at=entered, due_at=entered)
            Click.objects.create(message=message, link=0, first_at=entered + dt.timedelta(days=1))
    now = timezone.now()
    snapshots.save("journeys", snapshots.journeys(now), now)
    return journey


def test_the_page_shows_each_variant_and_the_favoured_one_can_be_made_the_winner(tested, staff):
    marketer = staff("marketer")
    page = _text(marketer.get(reverse("dashboard:journeys")).content)
    assert re.search(r"A 300 customers · 10\.0 % · €3\.00 each · [\d.]+ % likely the best", page)
    assert re.search(r"B 300 customers · 33\.3 % · €10\.00 each · (99\.\d|100\.0) % likely the best", page)
    assert re.search(r"(99\.\d|100\.0) % likely to help", page)  # pooled across the journeys and months
    assert "40 clicks" in page and "orders, €" in page
    assert "No winner is chosen yet." in page and "Make B the winner" in page
    marketer.post(reverse("dashboard:toggle_journey", args=[tested.key, "winner"]), {"variant": "B"})
    tested.refresh_from_db()
    assert tested.winner == 1 and AuditEvent.objects.get(action="journey.winner").detail == {"variant": "B"}
    now = timezone.now()
    snapshots.save("journeys", snapshots.journeys(now), now)
    page = _text(marketer.get(reverse("dashboard:journeys")).content)
    assert "Variant B won on" in page and "Make B the winner" not in page
    audit = _text(staff("admin").get(reverse("dashboard:audit")).content)
    assert "made variant B the winner of a journey" in audit


def test_a_variant_too_close_to_call_offers_no_button_and_a_bad_letter_is_refused(tested, staff):
    treated = list(Enrollment.objects.filter(journey=tested, arm="treated").values_list("pk", flat=True))
    random.Random(3).shuffle(treated)  # the same customers split again at random: the two versions look alike
    Enrollment.objects.filter(pk__in=treated[:300]).update(variant=0)
    Enrollment.objects.filter(pk__in=treated[300:]).update(variant=1)
    now = timezone.now()
    snapshots.save("journeys", snapshots.journeys(now), now)
    marketer = staff("marketer")
    page = _text(marketer.get(reverse("dashboard:journeys")).content)
    assert "Too close to call yet." in page and "the winner" not in page.split("Variants")[1].split("Too close")[0]
    response = marketer.post(reverse("dashboard:toggle_journey", args=[tested.key, "winner"]), {"variant": "Q"}, follow=True)
    assert "has variants A, B, not &#x27;Q&#x27;" in response.content.decode() or "has variants A, B, not 'Q'" in _text(response.content)
    assert Journey.objects.get(pk=tested.pk).winner is None
