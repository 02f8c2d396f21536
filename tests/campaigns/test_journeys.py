import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from patron.analytics.uplift import proportion_difference
from patron.campaigns import reports, services
from patron.campaigns.models import Enrollment, Journey, Step, Task, Trigger
from patron.commerce import services as commerce
from patron.core.errors import JourneyNotReady
from patron.customers.models import Customer, Tag
from patron.customers.services import record_interaction, upsert_customer
from patron.loyalty.models import Movement, Program
from patron.loyalty.services import balance
from patron.messaging.models import Message, MessageTemplate
from patron.segments.models import Segment

NOW = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)


def patron(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_builtin_journeys_are_listed_and_off_by_default(db):
    rows = json.loads(patron("journeys", "list", "--json"))
    assert [r["key"] for r in rows] == ["welcome", "thank_you", "birthday", "winback", "service_recovery",
                                        "detractor_followup", "tier_upgrade", "points_expiring", "idea_shipped", "nps_survey",
                                        "csat_survey", "newsletter", "name_day", "holiday_greeting", "abandoned_checkout",
                                        "browse_abandonment"]
    assert not any(r["enabled"] for r in rows)


def test_a_journey_that_cannot_work_is_not_enabled_and_says_why(db):
    with pytest.raises(JourneyNotReady, match="create a loyalty program first"):
        services.enable("birthday")
    with pytest.raises(CommandError, match="write the message 'newsletter' first"):
        patron("journeys", "enable", "newsletter")
    with pytest.raises(CommandError, match="no journey 'nope'"):
        patron("journeys", "enable", "nope")
    MessageTemplate.objects.create(key="newsletter", language="en", subject="June news", text="New arrivals.")
    assert "enabled" in patron("journeys", "enable", "newsletter")


def test_thank_you_waits_a_day_then_sends_once_per_order(db):
    customer, _ = upsert_customer("c1", email="c1@example.com", email_consent="true")
    services.enable("thank_you", now=NOW - dt.timedelta(hours=1))
    Journey.objects.filter(key="thank_you").update(holdout_share=0)
    commerce.record_order(customer, "o1", placed_at=NOW, total="25.00", currency="EUR")
    assert services.run(NOW).entered["thank_you"] == 1
    assert services.run(NOW).entered["thank_you"] == 0
    assert not Message.objects.exists()  # waiting a day
    services.run(NOW + dt.timedelta(days=1))
    services.run(NOW + dt.timedelta(days=1, minutes=1))
    message = Message.objects.get()
    total = message.context["order_total"]
    assert message.template == "thank_you" and Decimal(total["amount"]) == Decimal("25") and total["currency"] == "EUR"
    assert Enrollment.objects.get().finished_at is not None
    commerce.record_order(customer, "o2", placed_at=NOW + dt.timedelta(days=2), total="5", currency="EUR")
    services.run(NOW + dt.timedelta(days=2))
    assert Enrollment.objects.count() == 2  # a new order is a new occasion


def test_orders_imported_from_before_the_journey_was_enabled_do_not_start_it(db):
    customer, _ = upsert_customer("c1")
    commerce.record_order(customer, "old", placed_at=NOW - dt.timedelta(days=30), total="10", currency="EUR")
    services.enable("thank_you", now=NOW)
    assert services.run(NOW).entered["thank_you"] == 0


def test_holdout_is_a_random_share_and_gets_nothing(db):
    Customer.objects.bulk_create([Customer(external_id=f"c{i}", email=f"c{i}@example.com", created_at=NOW) for i in range(2000)])
    services.enable("welcome", now=NOW - dt.timedelta(minutes=1))
    services.run(NOW)
    held = Enrollment.objects.filter(arm="holdout")
    assert 140 <= held.count() <= 260  # 10 % of 2,000, with room for chance (about 4 standard deviations)
    assert not Message.objects.filter(customer__in=held.values("customer")).exists()
    assert Message.objects.count() == 2000 - held.count()
    assert held.filter(finished_at__isnull=True).count() == 0


def test_service_recovery_apologises_once_naming_the_agents_gesture(db):
    program = Program.objects.create(name="Stars", currency="EUR")
    customer, _ = upsert_customer("c1", email="c1@example.com")
    services.enable("service_recovery", now=NOW - dt.timedelta(hours=1))
    # The agent's gesture (given when resolving the ticket) travels in the event.
    record_interaction(customer, "complaint_resolved", occurred_at=NOW, payload={"ticket": "T-1", "points": 150})
    services.run(NOW)
    services.run(NOW + dt.timedelta(minutes=5))
    assert balance(program, customer) == 0 and not Movement.objects.exists()  # the journey gives nothing twice
    message = Message.objects.get()
    assert (message.template, message.purpose, message.context["points"], message.context["ticket"]) == \
        ("service_recovery", "transactional", 150, "T-1")


def test_detractor_follow_up_makes_a_task_now_and_writes_two_days_later(db):
    customer, _ = upsert_customer("c1", email="c1@example.com")
    services.enable("detractor_followup", now=NOW - dt.timedelta(hours=1))
    record_interaction(customer, "nps_detractor", occurred_at=NOW, payload={"score": 3})
    services.run(NOW)
    assert Task.objects.get().customer == customer and not Message.objects.exists()
    services.run(NOW + dt.timedelta(days=2))
    assert Message.objects.get().template == "detractor_followup" and Task.objects.count() == 1


def test_a_custom_journey_with_a_segment_condition_and_a_tag(db):
    for i, language in enumerate(["lv", "lt", "lv"]):
        upsert_customer(f"c{i}", language=language)
    segment = Segment.objects.create(name="latvians", rules={"field": "language", "op": "eq", "value": "lv"})
    journey = Journey.objects.create(key="riga-party", name="Riga party", trigger="schedule", segment=segment,
                                     trigger_config={"at": "2026-06-01T09:00:00+00:00"}, holdout_share=Decimal("0"))
    Step.objects.create(journey=journey, position=0, action="tag", config={"tag": "invited"})
    services.enable("riga-party", now=NOW)
    services.run(NOW)
    services.run(NOW)
    assert sorted(Tag.objects.values_list("customer__external_id", flat=True)) == ["c0", "c2"]


def test_a_first_send_step_is_taken_on_entry_once_and_the_rest_follow(db):
    for i in range(3):
        upsert_customer(f"c{i}", email=f"c{i}@example.com")
    MessageTemplate.objects.create(key="hello", language="en", subject="Hello", text="Hello.")
    journey = Journey.objects.create(key="hello-then-tag", name="Hello", trigger="schedule",
                                     trigger_config={"at": "2026-06-01T09:00:00+00:00"}, holdout_share=Decimal("0"))
    Step.objects.bulk_create([Step(journey=journey, position=0, action="send", config={"template": "hello"}),
                              Step(journey=journey, position=1, action="wait", config={"days": 3}),
                              Step(journey=journey, position=2, action="tag", config={"tag": "greeted"})])
    services.enable("hello-then-tag", now=NOW)
    first = services.run(NOW)
    assert first.entered["hello-then-tag"] == 3
    assert first.steps == {"hello-then-tag #0": 3, "hello-then-tag #1": 3}  # sent on entry, then the wait began
    assert services.run(NOW + dt.timedelta(hours=1)).steps == {}
    assert Message.objects.filter(template="hello").count() == 3
    assert not Tag.objects.exists()
    services.run(NOW + dt.timedelta(days=3))
    assert Tag.objects.count() == 3 and Message.objects.count() == 3
    assert Enrollment.objects.filter(finished_at__isnull=True).count() == 0
    assert sorted(Message.objects.values_list("enrollment__customer__external_id", flat=True)) == ["c0", "c1", "c2"]


def test_uplift_report_compares_treated_with_held_out(db):
    journey = Journey.objects.create(key="promo", name="Promo", trigger="schedule", conversion_days=14)
    entered = NOW - dt.timedelta(days=30)
    for i in range(200):
        customer = Customer.objects.create(external_id=f"c{i}")
        arm = "holdout" if i % 2 else "treated"
        Enrollment.objects.create(journey=journey, customer=customer, trigger_key="x", arm=arm, entered_at=entered, due_at=entered)
        # 40 % of the treated buy within the window, 10 % of the held out; a late order does not count.
        if i % 10 in (0, 6) or i % 20 == 1:
            commerce.record_order(customer, f"o{i}", placed_at=entered + dt.timedelta(days=3), total="50", currency="EUR")
        if i % 10 == 8:
            commerce.record_order(customer, f"late{i}", placed_at=entered + dt.timedelta(days=20), total="50", currency="EUR")
    report = reports.uplift(journey, NOW)
    conversion = report["conversion"]
    assert (report["treated"], report["control"]) == (100, 100)
    assert conversion["treated"] == pytest.approx(0.4) and conversion["control"] == pytest.approx(0.1)
    assert conversion["low"] > 0 and conversion == pytest.approx(proportion_difference(40, 100, 10, 100))
    assert report["revenue_per_entrant"]["difference"] == pytest.approx(15.0)
    assert "uplift 30.0%" in patron("journeys", "report", "promo")


def test_a_journey_edited_into_a_bad_schedule_is_named_and_the_others_still_run(db):
    upsert_customer("c1")
    bad = Journey.objects.create(key="bad-date", name="Bad", trigger=Trigger.SCHEDULE, trigger_config={"at": "next tuesday"})
    Step.objects.create(journey=bad, position=0, action="tag", config={"tag": "x"})
    with pytest.raises(JourneyNotReady, match="trigger_config.at: 'next tuesday' is not an ISO date"):
        services.enable("bad-date")
    services.enable("welcome", now=NOW - dt.timedelta(minutes=1))
    Journey.objects.filter(key="bad-date").update(enabled=True, trigger_config={"weekdays": ["thu"]})
    result = services.run(NOW)
    assert "weekdays" in result.errors["bad-date"] and "welcome" in result.entered


def test_a_journeys_counts_name_its_bounces(db):
    services.ensure_builtin()
    journey = Journey.objects.get(key="welcome")
    customer = Customer.objects.create(external_id="b-1", email="nobody@example.com")
    now = NOW
    for status, reason in (("failed", "address refused: 550 5.1.1 no such user"), ("suppressed", "bounced"),
                           ("suppressed", "no_consent"), ("failed", "gateway refused: HTTP 400")):
        Message.objects.create(customer=customer, journey=journey, template="welcome", channel="email", status=status,
                               reason=reason, created_at=now, due_at=now)
    row = next(r for r in services.counts() if r["key"] == "welcome")
    assert (row["bounced"], row["failed"], row["suppressed"]) == (2, 2, 2)
    report = patron("journeys", "report", "welcome")
    assert "0 sent, 0 waiting, 2 not sent (consent, caps, suppressed addresses), 2 failed; 2 bounced or complained" in report
    assert json.loads(patron("journeys", "report", "welcome", "--json"))["delivery"]["bounced"] == 2
