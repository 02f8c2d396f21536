"""Switching a journey on sends nothing to a backlog unless the marketer chose it with the number in front of
them; pause holds it and its queued messages, resume goes on, switching off stops it at once."""

import datetime as dt
from decimal import Decimal

import pytest

from patron.campaigns import services as journeys
from patron.campaigns.models import Enrollment, Journey, Skipped
from patron.commerce import services as commerce
from patron.core.models import AuditEvent
from patron.insights.services import refresh_scores
from patron.loyalty.models import Program
from patron.messaging.models import Message
from tests.messaging.test_winback_end_to_end import NOW, buyer

pytestmark = pytest.mark.django_db(transaction=True)  # the scoring reads committed orders


@pytest.fixture
def shop(db):
    Program.objects.create(name="Patron Rewards", currency="EUR")
    for i in range(12):  # lapsed already: a fortnightly rhythm, silent for 90 days and more
        buyer(f"gone{i}", "lv", days_between=14, last_days_ago=90 + i)
    buyer("steady", "lt", days_between=14, last_days_ago=5)
    for i in range(20):  # enough history for the models
        buyer(f"x{i}", "en", days_between=10 + i, last_days_ago=i, n=3)
    refresh_scores(NOW)
    journeys.ensure_builtin()
    Journey.objects.filter(key="winback").update(holdout_share=Decimal("0"))


def test_win_back_switched_on_from_now_enters_nobody_lapsed_already_but_a_customer_who_lapses_later(shop):
    today = journeys.qualifying("winback", now=NOW)
    assert today >= 12
    journeys.enable("winback", now=NOW, actor="cli:ona")
    assert Skipped.objects.filter(journey__key="winback").count() == today
    assert journeys.run(NOW).entered["winback"] == 0 and not Message.objects.exists()
    switched = AuditEvent.objects.get(action="journey.on")
    assert switched.detail["backlog"] == "none" and switched.actor_name == "cli:ona"
    # Ninety days on, the steady buyer has lapsed too: a new occasion, which enters.
    later = NOW + dt.timedelta(days=90)
    refresh_scores(later)
    entered = journeys.run(later).entered["winback"]
    assert Enrollment.objects.filter(journey__key="winback", customer__external_id="steady").exists()
    assert not Enrollment.objects.filter(journey__key="winback", customer__external_id="gone0").exists()
    assert entered == Enrollment.objects.filter(journey__key="winback").count() >= 1


def test_with_its_backlog_the_number_shown_is_the_number_that_enters(shop):
    today = journeys.qualifying("winback", now=NOW)
    journeys.enable("winback", backlog=True, now=NOW)
    assert journeys.run(NOW).entered["winback"] == today
    assert AuditEvent.objects.get(action="journey.on").detail["backlog"] == today


def test_an_event_journey_looks_back_a_week_only_with_its_backlog(db):
    person = buyer("pirkeja", "lt", days_between=1, last_days_ago=40, n=1)
    commerce.record_order(person, "recent", placed_at=NOW - dt.timedelta(days=2), total="30", currency="EUR")
    journeys.ensure_builtin()
    assert journeys.qualifying("thank_you", now=NOW) == 1  # the order two days ago; the one 40 days ago is too old
    journeys.enable("thank_you", now=NOW)
    assert journeys.run(NOW).entered["thank_you"] == 0
    journeys.disable("thank_you")
    journeys.enable("thank_you", backlog=True, now=NOW)
    assert journeys.run(NOW).entered["thank_you"] == 1


def test_pause_holds_the_journey_and_its_messages_resume_goes_on_and_off_stops_at_once(shop):
    journeys.enable("winback", backlog=True, now=NOW)
    journeys.run(NOW)
    queued = Message.objects.filter(journey__key="winback", status=Message.Status.QUEUED).count()
    assert queued >= 12
    journeys.pause("winback", actor="cli:ona")
    assert journeys.state(Journey.objects.get(key="winback")) == "paused"
    assert Message.objects.filter(journey__key="winback", status=Message.Status.HELD).count() == queued
    assert journeys.run(NOW + dt.timedelta(days=30)).entered == {}  # a paused journey does not run
    journeys.resume("winback")
    assert Message.objects.filter(journey__key="winback", status=Message.Status.QUEUED).count() == queued
    journeys.disable("winback", actor="cli:ona")
    assert journeys.state(Journey.objects.get(key="winback")) == "off"
    assert not Enrollment.objects.filter(journey__key="winback", finished_at__isnull=True).exists()
    stopped = Message.objects.filter(journey__key="winback", status=Message.Status.SUPPRESSED, reason="journey_off")
    assert stopped.count() == queued
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "journey.on", "journey.pause", "journey.resume", "journey.off"]
    assert AuditEvent.objects.get(action="journey.off").detail["messages_stopped"] == queued


def test_the_journeys_page_asks_with_the_number_and_switches_at_once(shop, django_user_model):
    from django.test import Client
    from django.urls import reverse

    from patron.dashboard.services import add_staff

    user, _password = add_staff("mara", "marketer")
    client = Client()
    client.force_login(user)
    today = journeys.qualifying("winback")
    asked = client.get(reverse("dashboard:switch_on_journey", args=["winback"]))
    assert f'data-qualifying="{today}"' in asked.content.decode() and 'value="from_now" checked' in asked.content.decode()
    client.post(reverse("dashboard:toggle_journey", args=["winback", "on"]), {"enter": "from_now"})
    listed = client.get(reverse("dashboard:journeys")).content.decode()
    assert 'data-state="on"' in listed and journeys.run().entered["winback"] == 0
    client.post(reverse("dashboard:toggle_journey", args=["winback", "pause"]))
    assert journeys.state(Journey.objects.get(key="winback")) == "paused"
    assert 'data-state="paused"' in client.get(reverse("dashboard:journeys")).content.decode()
    client.post(reverse("dashboard:toggle_journey", args=["winback", "off"]))
    assert journeys.state(Journey.objects.get(key="winback")) == "off"
    assert client.post(reverse("dashboard:toggle_journey", args=["winback", "explode"])).status_code == 404
    assert AuditEvent.objects.filter(actor_name="mara").count() == 3


def test_send_a_test_to_me_as_a_lithuanian_customer_would_get_it(db, mail_to, django_user_model):
    from django.test import Client
    from django.urls import reverse

    from patron.customers.models import ConsentEvent
    from patron.customers.services import upsert_customer
    from patron.dashboard.services import add_staff

    journeys.ensure_builtin()
    jonas, _ = upsert_customer("lt-7", first_name="Jonas", language="lt", email="jonas@example.lt", email_consent="true")
    user, _password = add_staff("mara", "marketer", email="mara@arbatine.lt")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("dashboard:test_journey", args=["winback"])).content.decode()
    assert "mara@arbatine.lt" in page
    send = Journey.objects.get(key="winback").steps.get(action="send").position  # after the coupon step
    answer = client.post(reverse("dashboard:test_journey", args=["winback"]), {"step": f"{send}:0", "customer": "JONAS@example.lt"})
    assert answer.status_code == 302
    sent = mail_to.to("mara@arbatine.lt")
    assert len(sent) == 1 and sent[0]["Subject"].startswith("[TEST] ") and sent[0]["Content-Language"] == "lt"
    body = sent[0].get_body(("plain",)).get_content()
    assert body.startswith("Sveiki, Jonai!") and "ABCD-EFGH-JKLM-NPQR" in body  # his name; a sample code
    assert not mail_to.to("jonas@example.lt") and not Message.objects.exists()
    # The test's unsubscribe link is no customer's: following it changes nothing for Jonas.
    link = next(line for line in body.splitlines() if "/unsubscribe/" in line or "/u/" in line).split(": ", 1)[1]
    client.get(link.replace("http://testserver", ""))
    assert not ConsentEvent.objects.filter(customer=jonas, granted=False).exists()
    refused = client.post(reverse("dashboard:test_journey", args=["winback"]), {"step": f"{send}:0", "customer": "nobody"})
    assert refused.status_code == 400 and "nobody" in refused.content.decode()
