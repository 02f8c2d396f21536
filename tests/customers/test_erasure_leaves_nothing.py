"""After `patron customer erase`, nothing in the whole store names the person: not their email, phone,
names or external id, in any table (tickets, stored API answers, the audit log, the ledger's reasons,
messages); and `patron customer export` before it holds everything Patron keeps about them."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from patron.api.services import create_key
from patron.campaigns.models import Task
from patron.customers.models import Customer
from patron.customers.services import erase_customer, export_customer
from patron.feedback import services as feedback
from patron.loyalty import services as loyalty
from patron.loyalty.models import Program, Reward
from patron.messaging.models import Message
from patron.service import inbound, services as desk
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL, PHONE, FIRST, LAST, EXTERNAL = "gintare.zem@example.lt", "+37061234599", "Gintarė", "Žemaitytė", "shop-cust-80417"
TRACES = (EMAIL, PHONE, FIRST, LAST, EXTERNAL)


def whole_store() -> str:
    """Every row of every table as text: what a dump of the store would hold."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            lines += [f"{table}: {row!r}" for row in cursor.fetchall()]
    return "\n".join(lines)


def traces_in(dump: str) -> list[str]:
    folded = dump.casefold()
    # JSON on SQLite keeps non-ASCII letters escaped (\u0117): look for both spellings.
    spellings = {t for trace in TRACES for t in (trace, json.dumps(trace)[1:-1])}
    return sorted(t for t in spellings if t.casefold() in folded)


def the_person_everywhere():
    program = Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    reward = Reward.objects.create(program=program, name="Sorry gift", kind="gift", cost=1)
    _, key = create_key("shop", ["customers:write", "orders:write"])
    api = ApiClient(headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "k-80417"})
    made = api.post("/api/v1/customers", json.dumps({"external_id": EXTERNAL, "email": EMAIL, "phone": PHONE,
                                                       "first_name": FIRST, "last_name": LAST, "language": "lt"}),
                    content_type="application/json")
    assert made.status_code == 200, made.content
    customer = Customer.objects.get(external_id=EXTERNAL)
    loyalty.adjust(program, customer, 50, reason=f"sorry {FIRST} {LAST}, the parcel was late", by="ona")
    loyalty.gift_coupons(reward, [customer.pk], reason=f"apology for {EMAIL}")
    raw = (f"From: {FIRST} {LAST} <{EMAIL}>\r\nTo: help@shop.example\r\nSubject: {FIRST} here, call me at {PHONE}\r\n"
           f"Message-ID: <m-80417@example.lt>\r\n\r\nHello, I am {FIRST} {LAST}, my number is {PHONE}.\r\n").encode()
    ticket, _ = inbound.receive(raw)
    desk.reply(ticket, f"Dear {FIRST}, we will call {PHONE} today.", by="ona")
    desk.add_note(ticket, f"{FIRST} {LAST} called twice", by="ona")
    Message.objects.create(customer=customer, template="points_expiring", channel="email", purpose="marketing",
                           status="failed", subject=f"{FIRST}, your points", reason=f"550 {EMAIL}: mailbox full",
                           context={"greeting": f"Labas, {FIRST}"}, created_at=ticket.created_at, due_at=ticket.created_at)
    Task.objects.create(customer=customer, title=f"Call {FIRST} {LAST} back", created_at=ticket.created_at)
    feedback.record_answer(customer, "nps", 3, ref="l:x", source="link", comment=f"I am {FIRST}, write to {EMAIL}")
    return customer


def test_erasure_leaves_no_trace_of_the_person_in_the_store():
    customer = the_person_everywhere()
    assert set(traces_in(whole_store())) >= set(TRACES)  # the data really is spread across the store
    call_command("customer", "erase", EXTERNAL, "--reason", f"asked by {EMAIL} on the phone", stdout=io.StringIO())
    assert traces_in(whole_store()) == []
    customer.refresh_from_db()
    assert customer.is_erased
    # What is not about the person stays: the ticket and its thread, the points, the message counted.
    assert customer.tickets.get().events.count() == 3
    assert loyalty.balance(Program.objects.get(), customer) == 50
    assert Message.objects.filter(customer=customer).count() == 1


def test_the_export_holds_everything_kept_about_the_person():
    customer = the_person_everywhere()
    out = io.StringIO()
    call_command("customer", "export", EXTERNAL, stdout=out)
    data = json.loads(out.getvalue())
    for section in ("customer", "consent_history", "orders", "points", "ledger", "coupons", "tiers", "paid_memberships",
                    "tickets", "messages", "survey_responses", "scores_and_predictions", "segments", "journeys", "tasks"):
        assert section in data, section
    assert data["points"] == [{"program": "Stars", "balance": 50}]
    assert [m["reason"] for m in data["ledger"]] == [f"sorry {FIRST} {LAST}, the parcel was late (ona)"]
    assert data["coupons"][0]["reward__name"] == "Sorry gift"
    [ticket] = data["tickets"]
    assert [m["kind"] for m in ticket["messages"]] == ["customer", "reply"] and PHONE in ticket["messages"][0]["body"]
    assert data["messages"][0]["subject"] == f"{FIRST}, your points"
    assert data["survey_responses"][0]["score"] == 3 and data["tasks"][0]["title"] == f"Call {FIRST} {LAST} back"
    assert export_customer(customer)["customer"]["email"] == EMAIL
    erase_customer(customer)
    customer.refresh_from_db()
    assert traces_in(json.dumps(export_customer(customer), default=str, ensure_ascii=False)) == []
