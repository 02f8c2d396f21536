"""Tickets from the API and from email; priority for upset and valuable customers; the SLA clock paused
while waiting; escalation before a breach; a complaint resolved with a gesture and followed up."""

import datetime as dt
import json
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from patron.api.services import create_key
from patron.campaigns import services as journeys
from patron.campaigns.models import Enrollment
from patron.customers import services as customers
from patron.customers.models import Interaction
from patron.feedback import services as feedback
from patron.service.queries import staff_notes
from patron.loyalty.models import Program
from patron.loyalty.services import balance, verify
from patron.messaging.models import Message
from patron.service import inbound, services
from patron.service.models import SlaPolicy, Ticket, TicketEvent
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 6, 22, 9, 0, tzinfo=dt.UTC)  # 12:00 in Riga; 23 and 24 June are holidays there


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(name="Riga team", timezone="Europe/Riga", holidays=["2026-06-23", "2026-06-24"],
                                    first_response_minutes={"urgent": 60, "high": 120, "normal": 240, "low": 480},
                                    resolution_minutes={"urgent": 240, "high": 480, "normal": 960, "low": 1920},
                                    is_default=True)


def person(external_id, **fields):
    found, _ = customers.upsert_customer(external_id, email=f"{external_id}@example.lv", language="lv", **fields)
    return found


def test_api_ticket_raised_for_a_detractor_with_due_dates_in_business_hours(policy):
    anna = person("anna")
    feedback.record_answer(anna, "nps", 2, ref="l:1", source="link")
    _, key = create_key("shop", ["tickets:write", "tickets:read"])
    client = ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"subject": "Broken kettle", "body": "It broke on the first day", "customer_external_id": "anna",
            "kind": "complaint", "external_ref": "shop-77"}
    created = client.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    ticket = created.json()
    assert ticket["priority"] == "high" and "NPS detractor (2)" in ticket["priority_reason"]
    again = client.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    assert again.json()["id"] == ticket["id"] and Ticket.objects.count() == 1  # the shop's id makes it once

    bad = client.post("/api/v1/tickets", json.dumps({"subject": " ", "priority": "asap"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"

    # Opened Monday 12:00 Riga (created now): high = 2 h to respond, 8 h to resolve, Tuesday and Wednesday are holidays.
    t = Ticket.objects.get()
    Ticket.objects.filter(pk=t.pk).update(created_at=MONDAY)
    t.refresh_from_db()
    services._set_due(t)
    assert t.first_response_due == MONDAY + dt.timedelta(hours=2)
    assert t.resolution_due == dt.datetime(2026, 6, 25, 9, 0, tzinfo=dt.UTC)  # 5 h Monday, 3 h Thursday: 12:00 Riga

    services.add_note(t, "Customer is upset about quality", by="agent")
    services.reply(t, "Sorry! Could you send a photo?", by="agent")
    shown = client.get(f"/api/v1/tickets/{t.pk}").json()
    assert [m["from"] for m in shown["messages"]] == ["customer", "staff"]
    assert "upset" not in json.dumps(shown)  # internal notes never leave
    assert staff_notes().iloc[0]["comment"] == "Customer is upset about quality"


def test_waiting_on_the_customer_pauses_the_clock_and_sweep_escalates_then_records_a_breach(policy):
    ticket = services.open_ticket(subject="Where is my parcel", channel="dashboard", customer=person("maris"), at=MONDAY)
    assert ticket.priority == "normal" and ticket.resolution_due == dt.datetime(2026, 6, 26, 9, 0, tzinfo=dt.UTC)  # 5 + 8 + 3 h
    services.reply(ticket, "Which order?", by="agent", wait_for_customer=True, at=MONDAY + dt.timedelta(hours=1))
    # The customer answers on Thursday 10:00 Riga: 5 business hours waited (Monday 13:00-17:00, Thursday 09:00-10:00),
    # the holidays between not counted.
    services.customer_wrote(ticket, "Order 123", at=dt.datetime(2026, 6, 25, 7, 0, tzinfo=dt.UTC))
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.paused_minutes == 300
    assert ticket.resolution_due == dt.datetime(2026, 6, 26, 14, 0, tzinfo=dt.UTC)  # five business hours later

    # 80% of the 21 resolution hours (16 + 5 paused) used: escalated once; past the due time: a breach, once.
    assert services.sweep(dt.datetime(2026, 6, 25, 12, 0, tzinfo=dt.UTC)) == {"escalated": 0, "breached": 0}
    assert services.sweep(dt.datetime(2026, 6, 26, 9, 0, tzinfo=dt.UTC)) == {"escalated": 0, "breached": 0}  # 76%
    assert services.sweep(dt.datetime(2026, 6, 26, 10, 0, tzinfo=dt.UTC)) == {"escalated": 1, "breached": 0}  # 81%
    assert services.sweep(dt.datetime(2026, 6, 26, 10, 5, tzinfo=dt.UTC)) == {"escalated": 0, "breached": 0}
    assert services.sweep(dt.datetime(2026, 6, 29, 9, 0, tzinfo=dt.UTC)) == {"escalated": 0, "breached": 1}
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count("escalated") == 1 and kinds.count("breached") == 1


def test_a_resolved_complaint_with_goodwill_points_is_followed_up(policy):
    program = Program.objects.create(name="Stars", currency="EUR")
    ilze = person("ilze", email_consent="true")
    ticket = services.open_ticket(subject="Rude courier", channel="email", customer=ilze, kind="complaint", at=MONDAY)
    journeys.enable("service_recovery", now=MONDAY)
    journeys.enable("csat_survey", now=MONDAY)
    services.resolve(ticket, by="agent", gesture={"points": 300}, at=MONDAY + dt.timedelta(hours=2))
    assert balance(program, ilze) == 300 and verify() == []
    assert TicketEvent.objects.get(ticket=ticket, kind="gesture").payload == {"points": 300}
    assert set(Interaction.objects.filter(customer=ilze).values_list("kind", flat=True)) >= {"ticket_resolved", "complaint_resolved"}
    journeys.run(MONDAY + dt.timedelta(hours=3))
    templates = set(Message.objects.filter(customer=ilze).values_list("template", flat=True))
    assert templates == {"service_recovery", "survey_csat"}
    assert Message.objects.get(template="service_recovery").context["points"] == 300
    assert Enrollment.objects.filter(customer=ilze).count() == 2
    with pytest.raises(services.Conflict):
        services.resolve(ticket, by="agent", gesture={"points": 300})  # no second gesture
    assert balance(program, ilze) == 300


def test_inbound_email_opens_a_ticket_and_replies_join_it(policy, tmp_path, capsys):
    person("janis")

    def mail(subject, body, message_id, reply_to=None):
        message = EmailMessage()
        message["From"] = "Jānis <JANIS@example.lv>"
        message["To"] = "help@shop.lv"
        message["Subject"] = subject
        message["Message-ID"] = message_id
        if reply_to:
            message["In-Reply-To"] = reply_to
        message.set_content(body)
        path = tmp_path / f"{message_id.strip('<>')}.eml"
        path.write_bytes(bytes(message))
        return path

    first = mail("Prece nav pienākusi", "Sveiki, kur ir mana paka?", "<a1@example.lv>")
    call_command("service", "inbound", str(first))
    ticket = Ticket.objects.get()
    assert ticket.customer.external_id == "janis" and ticket.channel == "email" and ticket.subject == "Prece nav pienākusi"
    call_command("service", "inbound", str(first))  # the same message twice is taken once
    assert Ticket.objects.count() == 1 and ticket.events.filter(kind="customer").count() == 1
    call_command("service", "inbound", str(mail("Re: Prece nav pienākusi", "Pasūtījums 55", "<a2@example.lv>", "<a1@example.lv>")))
    call_command("service", "inbound", str(mail(f"Vēl [#{ticket.pk}]", "Paldies", "<a3@example.lv>")))
    assert Ticket.objects.count() == 1 and ticket.events.filter(kind="customer").count() == 3
    stranger = EmailMessage()
    stranger["From"] = "someone@else.com"
    stranger["Subject"] = "Hello"
    stranger.set_content("Do you ship to Tbilisi?")
    created, is_new = inbound.receive(bytes(stranger))
    assert is_new and created.customer is None and created.requester_email == "someone@else.com"
    with pytest.raises(services.InvalidInput):
        inbound.receive(b"Subject: no sender\n\nhello")


def test_an_agent_works_a_ticket_in_the_admin(policy, admin_client):
    program = Program.objects.create(name="Stars", currency="EUR")
    anna = person("anna")
    ticket = services.open_ticket(subject="Late parcel", channel="api", customer=anna, kind="complaint", at=MONDAY)
    url = f"/admin/service/ticket/{ticket.pk}/change/"
    assert admin_client.get(url).status_code == 200 and admin_client.get("/admin/service/ticket/").status_code == 200
    form = {"priority": "normal", "assigned_to": "", "reply": "Which order?", "wait_for_customer": "on", "note": "Asked for the order",
            "change_status": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}
    assert admin_client.post(url, form).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.first_response_at is not None
    form.update(reply="", note="", wait_for_customer="", change_status="open", resolve="on", gesture_points="100")
    assert admin_client.post(url, form).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and balance(program, anna) == 100
    assert list(ticket.events.values_list("kind", flat=True)) == ["customer", "note", "reply", "status", "gesture"]


def test_a_stranger_cannot_write_into_or_reopen_another_customers_ticket(policy):
    person("janis")

    def mail(sender, subject, to="help@shop.lv"):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content("text")
        return bytes(message)

    ticket, _ = inbound.receive(mail("janis@example.lv", "Prece nav pienākusi"))
    services.resolve(ticket, by="agent")
    forged, is_new = inbound.receive(mail("attacker@evil.example", f"Re: [#{ticket.pk}] my address changed"))
    assert is_new and forged.pk != ticket.pk and forged.customer is None
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.events.filter(kind="customer").count() == 1
    # A wrong secret in the reply address does not open the door either; the right one does.
    wrong = inbound.reply_address(ticket, "help@shop.lv").replace(inbound.reply_token(ticket.pk), "0" * 16)
    assert inbound.receive(mail("colleague@example.lv", f"[#{ticket.pk}]", to=wrong))[1] is True
    joined, is_new = inbound.receive(mail("colleague@example.lv", "Re: parcel", to=inbound.reply_address(ticket, "help@shop.lv")))
    assert not is_new and joined.pk == ticket.pk
    # The requester's own reply, by the tag, joins and reopens it.
    again, is_new = inbound.receive(mail("JANIS@example.lv", f"Re: [#{ticket.pk}]"))
    assert not is_new and again.pk == ticket.pk
