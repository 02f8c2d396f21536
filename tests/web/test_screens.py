"""The staff screens for segments, journeys, message texts and the outbox, and the customer's own pages, in chromium."""

import datetime as dt
import json
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from django.utils import timezone

from patron.campaigns import services as journeys
from patron.campaigns.models import Enrollment, Journey
from patron.commerce import services as commerce
from patron.customers.models import Customer
from patron.messaging import content
from patron.messaging.models import Message, MessageTemplate
from patron.messaging.render import preview, unsubscribe_url
from patron.segments.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)  # the live server is another thread with its own connection


def test_segment_rules_are_counted_live_as_they_are_typed_and_a_fault_is_named(staff_page, live_server):
    for i, language in enumerate(["lv", "lv-LV", "lt"]):
        Customer.objects.create(external_id=f"s{i}", language=language)
    page = staff_page
    page.goto(f"{live_server.url}/admin/segments/segment/add/")
    page.fill("#id_name", "latvians")
    page.fill("#id_rules", json.dumps({"field": "language", "op": "in", "value": ["lv"]}))
    count = page.locator("#segment-live-count")
    count.filter(has_text="2 customers match now").wait_for()
    page.fill("#id_rules", json.dumps({"all": [{"field": "language", "op": "eq", "value": "lv"},
                                              {"field": "spend", "op": "gt", "value": "a lot"}]}))
    count.filter(has_text="rules.all[1].value: expected a number").wait_for()
    assert count.get_attribute("data-state") == "error"
    page.fill("#id_rules", json.dumps({"not": {"field": "language", "op": "eq", "value": "lv"}}))
    count.filter(has_text="1 customers match now").wait_for()
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/segments/segment/$"))
    assert Segment.objects.get(name="latvians").rules == {"not": {"field": "language", "op": "eq", "value": "lv"}}


def test_journeys_show_entered_held_out_converted_sent_and_suppressed(staff_page, live_server):
    journeys.ensure_builtin()
    welcome = Journey.objects.get(key="welcome")
    now = timezone.now()
    people = [Customer.objects.create(external_id=f"j{i}", email=f"j{i}@example.com") for i in range(4)]
    for person, arm in zip(people, ["treated", "treated", "treated", "holdout"]):
        Enrollment.objects.create(journey=welcome, customer=person, trigger_key="signup", arm=arm,
                                  entered_at=now - dt.timedelta(days=20), due_at=now)
    commerce.record_order(people[0], "o1", placed_at=now - dt.timedelta(days=15), total="20", currency="EUR")  # converted
    commerce.record_order(people[1], "o2", placed_at=now - dt.timedelta(days=1), total="20", currency="EUR")  # too late
    for person, status in [(people[0], "sent"), (people[1], "sent"), (people[2], "suppressed")]:
        Message.objects.create(customer=person, journey=welcome, template="welcome", channel="email", purpose="marketing",
                               status=status, created_at=now, due_at=now)
    page = staff_page
    page.goto(f"{live_server.url}/admin/campaigns/journey/")
    row = page.locator("#result_list tbody tr", has_text="welcome")
    cells = {name: row.locator(f"td.field-{name}").inner_text() for name in
             ("entered", "held_out", "converted", "sent", "suppressed")}
    assert cells == {"entered": "4", "held_out": "1", "converted": "1", "sent": "2", "suppressed": "1"}
    assert [r["converted"] for r in journeys.counts() if r["key"] == "welcome"] == [1]  # the command agrees

    # Enabling a journey that cannot work says why and leaves it off.
    page.locator("#result_list tbody tr", has_text="newsletter").locator("input.action-select").check()
    page.select_option("select[name=action]", "enable_journeys")
    page.click("button[name=index]")
    page.locator(".messagelist .error", has_text="newsletter").wait_for()
    assert not Journey.objects.get(key="newsletter").enabled


def test_every_message_is_previewed_in_every_language_and_a_staff_edit_is_checked_then_shown(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/")
    assert page.locator(".builtin-messages li").count() == len(content.builtin_keys())
    page.click(".builtin-messages a:text-is('winback')")
    sections = page.locator("section.message-preview")
    # The page is still arriving when the click returns: wait for every language's preview (a bare count once saw 4).
    expect(sections).to_have_count(len(content.LANGUAGES))
    for language in content.LANGUAGES:
        section = page.locator(f"section.message-preview[data-language={language}]")
        assert section.locator(".subject").inner_text() == preview("winback", language).subject
        frame = section.frame_locator("iframe")
        assert frame.locator("html").get_attribute("lang") == language
    # A Latvian reader sees the discount and the date written the Latvian way.
    lv = page.locator("section.message-preview[data-language=lv]").frame_locator("iframe").locator("body").inner_text()
    assert "15%" in lv and "ABCD-EFGH-JKLM-NPQR" in lv and "{" not in lv

    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/add/")
    page.fill("#id_key", "winback")
    page.fill("#id_language", "lt")
    page.fill("#id_subject", "Pasiilgome Jūsų{% if")
    page.fill("#id_text", "Sveiki, {{ first_name }}! Jūsų kodas: {{ coupon }}.")
    page.click("input[name=_save]")
    page.locator(".errorlist", has_text="not a valid template").wait_for()
    assert not MessageTemplate.objects.exists()
    page.fill("#id_subject", "Pasiilgome Jūsų")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/messaging/messagetemplate/$"))
    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/preview/winback/")
    lt = page.locator("section.message-preview[data-language=lt]")
    assert lt.locator(".subject").inner_text() == "Pasiilgome Jūsų"
    assert "edited by staff" in lt.locator("h2").inner_text()
    assert "Sveiki, Ieva! Jūsų kodas: ABCD-EFGH-JKLM-NPQR." in lt.frame_locator("iframe").locator("body").inner_text()
    edit = MessageTemplate.objects.get(key="winback", language="lt")
    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/{edit.pk}/change/")  # its own page previews it too
    assert page.frame_locator(".field-rendered iframe").locator("html").get_attribute("lang") == "lt"


def test_the_outbox_lists_messages_with_why_they_were_held_back(staff_page, live_server):
    now = timezone.now()
    customer = Customer.objects.create(external_id="o1", email="o1@example.com")
    Message.objects.create(customer=customer, template="birthday", channel="email", purpose="marketing",
                           status="suppressed", reason="no_consent", created_at=now, due_at=now)
    Message.objects.create(customer=customer, template="tier_upgrade", channel="email", purpose="transactional",
                           status="sent", created_at=now, due_at=now, sent_at=now)
    page = staff_page
    page.goto(f"{live_server.url}/admin/messaging/message/?status__exact=suppressed")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td.field-reason").inner_text() == "no_consent"
    assert rows.first.locator("td.field-template").inner_text() == "birthday"
    Message.objects.create(customer=Customer.objects.create(external_id="O1"), template="welcome", channel="email",
                           purpose="marketing", created_at=now, due_at=now)
    page.goto(f"{live_server.url}/admin/messaging/message/?q=o1")  # the exact external id, case and all
    assert page.locator("#result_list tbody tr").count() == 2


def test_a_customer_unsubscribes_in_their_own_language(page, live_server):
    customer = Customer.objects.create(external_id="u1", email="u1@example.ge", language="ka", email_consent=True)
    link = urlparse(unsubscribe_url(customer.pk, "email")).path
    page.goto(f"{live_server.url}{link}")
    assert page.locator("html").get_attribute("lang") == "ka"
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ka"
    customer.refresh_from_db()
    assert customer.email_consent is False
