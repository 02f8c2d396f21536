import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from patron.customers.models import Customer
from patron.messaging import content
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message, MessageTemplate
from patron.messaging.render import render

CONTEXT = {"tier": "Gold", "points": 1500, "expires_on": "2026-07-10", "coupon": "ABCD-EFGH-JKLM-NPQR",
           "discount": {"kind": "percent", "value": "15"}, "valid_until": "2026-07-10", "idea": "Paper bags",
           "order_total": {"amount": "1234.50", "currency": "EUR"}, "offers": ["Tea", "Coffee"]}


@pytest.mark.parametrize("key", content.builtin_keys())
@pytest.mark.parametrize("language", content.LANGUAGES)
def test_every_builtin_message_exists_in_every_language_and_renders_fully(db, key, language):
    assert language in content.builtin(key), f"{key} has no {language} text"
    customer = Customer(pk=1, external_id="x", first_name="Ieva", language=language)
    message = Message(pk=7, template=key, channel="email", purpose=content.purpose_of(key), context=CONTEXT)
    out = render(message, customer)
    assert out.language == language and out.subject and "{" not in out.subject + out.text + out.sms
    assert f'<html lang="{language}" ' in out.html and out.headers["Content-Language"] == language
    assert len(out.html.encode()) < 102_000  # Gmail clips a larger email
    assert ("List-Unsubscribe" in out.headers) == (message.purpose == "marketing")


def test_money_dates_and_lists_follow_the_customers_locale(db):
    message = Message(pk=1, template="thank_you", channel="email", purpose="marketing", context=CONTEXT)
    lt = render(message, Customer(pk=1, external_id="a", language="lt")).text
    en = render(message, Customer(pk=1, external_id="a", language="en-GB")).text
    assert "1\xa0234,50\xa0€" in lt and "Tea ir Coffee" in lt
    assert "€1,234.50" in en and "Tea and Coffee" in en
    expiring = Message(pk=2, template="points_expiring", channel="email", purpose="transactional", context=CONTEXT)
    assert "2026 m. liepos 10 d." in render(expiring, Customer(pk=1, external_id="a", language="lt")).subject


def test_unknown_language_falls_back_to_the_shops_default_then_a_staff_edit_wins(db, settings):
    settings.PATRON_DEFAULT_LANGUAGE = "lv"
    message = Message(pk=1, template="tier_upgrade", channel="email", purpose="transactional", context=CONTEXT)
    assert render(message, Customer(pk=1, external_id="a", language="fi")).language == "lv"
    MessageTemplate.objects.create(key="tier_upgrade", language="lv", subject="Sveicam, {{ tier }}!", text="Jauns līmenis.")
    out = render(message, Customer(pk=1, external_id="a", language="lv"))
    assert out.subject == "Sveicam, Gold!" and out.text.startswith("Jauns līmenis.")


def test_a_tier_or_plan_is_named_in_the_customers_language(db):
    from patron.loyalty.models import PaidPlan, Program, Tier

    program = Program.objects.create(name="Rewards", currency="EUR")
    Tier.objects.create(program=program, name="Gold", rank=1, threshold=1, names={"lv": "Zelta", "ka": "ოქრო"})
    PaidPlan.objects.create(program=program, name="Plus", fee=5, names={"lv": "Plus biedri"})
    upgrade = Message(pk=1, template="tier_upgrade", channel="email", purpose="transactional", context=CONTEXT)
    assert "Zelta" in render(upgrade, Customer(pk=1, external_id="a", language="lv")).subject
    assert "ოქრო" in render(upgrade, Customer(pk=1, external_id="a", language="ka")).subject
    assert "Gold" in render(upgrade, Customer(pk=1, external_id="a", language="et")).subject  # no Estonian name: the shop's
    renewal = Message(pk=2, template="membership_renewal", channel="email", purpose="transactional",
                      context={"plan": "Plus", "renews_on": "2026-07-10", "fee": {"amount": "5.00", "currency": "EUR"}})
    assert "Plus biedri" in render(renewal, Customer(pk=1, external_id="a", language="lv")).text


class Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append((self.headers.get("Authorization"), body))
        self.send_response(503 if body["to"].endswith("9") else 202)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_sms_goes_through_the_http_gateway_and_a_gateway_outage_is_retried(db, settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PATRON_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.PATRON_SMS_GATEWAY_TOKEN = "s3cret"
    settings.PATRON_QUIET_HOURS = ""
    now = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
    ok = Customer.objects.create(external_id="a", phone="+37060000001", language="et", sms_consent=True)
    down = Customer.objects.create(external_id="b", phone="+37060000009", language="et", sms_consent=True)
    for customer in (ok, down):
        Message.objects.create(customer=customer, template="birthday", channel="sms", purpose="marketing", created_at=now,
                               due_at=now, context={"coupon": "AAAA", "discount": {"kind": "percent", "value": "10"}})
    try:
        outcome = deliver_due(now)
    finally:
        server.shutdown()
    assert (outcome.sent, outcome.retried) == (1, 1)
    auth, body = Gateway.received[0]
    assert auth == "Bearer s3cret" and body["to"] == "+37060000001" and body["language"] == "et"
    assert "palju õnne sünnipäevaks" in body["text"] and "AAAA" in body["text"]
    retry = Message.objects.get(customer=down)
    assert retry.status == "queued" and retry.attempts == 1 and retry.due_at > now and "503" in retry.reason


def test_html_escapes_the_text_keeps_its_line_breaks_and_links_addresses(db):
    MessageTemplate.objects.create(key="welcome", language="en", subject="Hi",
                                   text="Tea & <b>cake</b>\nsecond line\n\nSee https://shop.example/new or write to help@shop.example")
    out = render(Message(pk=3, template="welcome", channel="email", purpose="marketing"), Customer(pk=1, external_id="h"))
    assert ">Tea &amp; &lt;b&gt;cake&lt;/b&gt;<br />second line<" in out.html
    assert '<a href="https://shop.example/new" rel="nofollow">https://shop.example/new</a>' in out.html
    assert '<a href="mailto:help@shop.example">help@shop.example</a>' in out.html
