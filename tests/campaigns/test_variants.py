"""A journey's variants: the treated split at random between versions of a message and of a coupon, each variant's
conversion and revenue per recipient, and a winner chosen by a person or automatically by the pooled model."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from patron.campaigns import design, reports, services, variants
from patron.campaigns.models import Enrollment, Journey, Step
from patron.commerce import services as commerce
from patron.core.errors import InvalidInput, JourneyNotReady
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.loyalty.models import Coupon, Program, Reward
from patron.messaging.models import Message, MessageTemplate

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)


def patron(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ab(db) -> Journey:
    """A signed-up journey giving a coupon and sending a message, in two versions: 15 % off said one way (A), 10 %
    off said another (B)."""
    program = Program.objects.create(name="Stars", currency="EUR")
    Reward.objects.create(program=program, name="Ten off", kind=Reward.Kind.DISCOUNT_PERCENT, value=10, cost=1, active=False)
    for key, subject in (("offer_a", "15 % off for you"), ("offer_b", "A little thank-you: 10 % off")):
        MessageTemplate.objects.create(key=key, language="en", subject=subject, text="{{ coupon }}")
    return design.save(None, design.Design(
        name="Offer test", trigger="signed_up", holdout_share=Decimal("0.2"), conversion_days=14,
        steps=[("coupon", {"reward": "Win-back discount", "variants": ["Ten off"]}),
               ("send", {"template": "offer_a", "variants": ["offer_b"]})]))


def _customers(n: int, at: dt.datetime, prefix: str = "c") -> None:
    Customer.objects.bulk_create([Customer(external_id=f"{prefix}{i}", email=f"{prefix}{i}@example.com", email_consent=True,
                                           created_at=at) for i in range(n)])


def test_the_treated_are_split_at_random_and_each_variant_gets_its_own_message_and_coupon(ab):
    _customers(2000, NOW)
    services.enable(ab.key, now=NOW - dt.timedelta(minutes=1))
    services.run(NOW)
    services.run(NOW + dt.timedelta(minutes=1))
    treated = Enrollment.objects.filter(arm="treated")
    held = Enrollment.objects.filter(arm="holdout")
    assert 320 <= held.count() <= 480 and not held.exclude(variant=None).exists()
    b = treated.filter(variant=1).count()
    assert 0.45 <= b / treated.count() <= 0.55 and treated.filter(variant=0).count() + b == treated.count()
    # Independent of the holdout: customers held out are not those who would be B more often than chance.
    ids = list(Customer.objects.values_list("pk", flat=True))
    assert abs(sum(1 for pk in ids if (pk * variants.HASH_MULTIPLIER + ab.salt) % variants.HASH_MODULUS % 2) / len(ids) - 0.5) < 0.05
    for variant, template, value in ((0, "offer_a", "15.00"), (1, "offer_b", "10.00")):
        mine = treated.filter(variant=variant)
        assert set(Message.objects.filter(enrollment__in=mine).values_list("template", flat=True)) == {template}
        assert Message.objects.filter(enrollment__in=mine).count() == mine.count()
        coupons = Coupon.objects.filter(customer__in=mine.values("customer"))
        assert coupons.count() == mine.count() and {str(c.reward.value) for c in coupons} == {value}
    assert not Message.objects.filter(enrollment__in=held).exists()


def _enter(journey: Journey, n: int, at: dt.datetime, rates: dict[int, float], spend: str = "40") -> None:
    """n customers entered at `at`, split as the journey splits them, who ordered at the variant's rate."""
    Customer.objects.bulk_create([Customer(external_id=f"e{at:%m%d}-{i}", created_at=at) for i in range(n)])
    rows = []
    for i, customer in enumerate(Customer.objects.filter(external_id__startswith=f"e{at:%m%d}-").order_by("pk")):
        variant = i % 2
        rows.append(Enrollment(journey=journey, customer=customer, trigger_key=f"k{at:%m%d}", arm="treated", variant=variant,
                               entered_at=at, due_at=at, position=9, finished_at=at))
    Enrollment.objects.bulk_create(rows)
    for i, row in enumerate(rows):
        # Every (1 / rate)-th customer of a variant buys, three days after entering.
        if (i // 2) % round(1 / rates[row.variant]) == 0:
            commerce.record_order(row.customer, f"o-{row.customer.external_id}", placed_at=at + dt.timedelta(days=3),
                                  total=spend, currency="EUR")


def test_the_report_gives_each_variants_conversion_and_revenue_per_recipient(ab):
    _enter(ab, 400, NOW - dt.timedelta(days=40), {0: 0.1, 1: 0.25})
    report = reports.full(ab, NOW)
    a, b = report["variants"]["variants"]
    assert (a["variant"], a["recipients"], a["converted"], b["recipients"], b["converted"]) == ("A", 200, 20, 200, 50)
    assert (a["conversion"], b["conversion"]) == (pytest.approx(0.10), pytest.approx(0.25))
    assert (a["revenue_per_recipient"], b["revenue_per_recipient"]) == (4.0, 10.0)  # 40 EUR an order
    assert b["probability_best"] > 0.99 and a["expected_loss"] > 0.1
    assert report["variants"]["ready"] == "B" and report["variants"]["winner"] == ""
    text = patron("journeys", "report", ab.key)
    assert "B: 200 recipients, conversion 25.0%, revenue per recipient 10.00, probability best" in text


def test_a_variant_wins_automatically_once_sure_and_everyone_treated_gets_it_after(ab):
    Journey.objects.filter(pk=ab.pk).update(auto_winner=True, winner_minimum=150)
    services.enable(ab.key, now=NOW - dt.timedelta(days=60))
    _enter(ab, 200, NOW - dt.timedelta(days=40), {0: 0.1, 1: 0.25})
    services.run(NOW)
    ab.refresh_from_db()
    assert ab.winner is None  # 100 recipients a variant: short of the minimum of 150
    _enter(ab, 200, NOW - dt.timedelta(days=30), {0: 0.1, 1: 0.25})
    services.run(NOW + dt.timedelta(hours=1))
    assert Journey.objects.get(pk=ab.pk).winner is None  # it looks once a day, at the day's first run
    tomorrow = NOW + dt.timedelta(days=1)
    services.run(tomorrow)
    ab.refresh_from_db()
    assert (variants.letter(ab.winner), ab.winner_at) == ("B", tomorrow)
    event = AuditEvent.objects.get(action="journey.winner")
    assert event.actor_name == "patron:auto-winner" and event.detail["variant"] == "B"
    assert event.detail["recipients"] == {"A": 200, "B": 200} and event.detail["probability_best"]["B"] > 0.95
    _customers(300, tomorrow + dt.timedelta(minutes=5), prefix="late")
    services.run(tomorrow + dt.timedelta(minutes=10))
    late = Enrollment.objects.filter(customer__external_id__startswith="late", arm="treated")
    assert late.count() > 200 and set(late.values_list("variant", flat=True)) == {1}
    assert set(Message.objects.filter(enrollment__in=late).values_list("template", flat=True)) == {"offer_b"}
    # The comparison keeps to the test: entrants after the winner was chosen are left out.
    assert reports.full(ab, NOW + dt.timedelta(days=30))["variants"]["variants"][1]["recipients"] == 200


def test_a_person_chooses_a_winner_and_bad_choices_or_variants_are_refused(ab):
    with pytest.raises(CommandError, match="has variants A, B, not 'Z'"):
        patron("journeys", "winner", ab.key, "Z")
    assert "variant B won" in patron("journeys", "winner", ab.key, "b")
    assert AuditEvent.objects.get(action="journey.winner").detail == {"variant": "B"}
    with pytest.raises(InvalidInput, match="has no variants"):
        variants.choose(Journey.objects.get(key="welcome"), "A")
    uneven = design.Design(name="Uneven", trigger="signed_up", steps=[
        ("coupon", {"reward": "Win-back discount", "variants": ["Ten off", "Ten off"]}),
        ("send", {"template": "offer_a", "variants": ["offer_b"]})])
    with pytest.raises(JourneyNotReady, match="the same number of them"):
        design.save(None, uneven)
    with pytest.raises(JourneyNotReady, match="write the message 'offer_z' first"):
        design.save(None, design.Design(name="Missing", trigger="signed_up",
                                        steps=[("send", {"template": "offer_a", "variants": ["offer_z"]})]))
    with pytest.raises(JourneyNotReady, match="cannot have variants"):
        design.save(None, design.Design(name="Wait", trigger="signed_up", steps=[("wait", {"days": 1, "variants": ["x"]})]))
    with pytest.raises(InvalidInput, match="probability must be from 80%"):
        design.save(ab.key, design.Design(name="Offer test", trigger="signed_up", winner_probability=Decimal("0.5"),
                                          steps=design.design_of(ab).steps))
    # Other steps are another test: the winner is forgotten.
    changed = design.design_of(Journey.objects.get(pk=ab.pk))
    changed.steps = [("send", {"template": "offer_a", "variants": ["offer_b"]})]
    assert design.save(ab.key, changed).winner is None
    assert Step.objects.filter(journey=ab).count() == 1


def test_each_variants_message_can_be_sent_as_a_test(ab, mail_to):
    from django.test import Client
    from django.urls import reverse

    from patron.dashboard.services import add_staff

    Customer.objects.create(external_id="ona", email="ona@example.lt", first_name="Ona", language="en")
    user, _password = add_staff("mara", "marketer", email="mara@arbatine.lt")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("dashboard:test_journey", args=[ab.key])).content.decode()
    assert "1. 15 % off for you (A)<" in page and "1. A little thank-you: 10 % off (B)<" in page
    assert client.post(reverse("dashboard:test_journey", args=[ab.key]), {"step": "1:1", "customer": "ona"}).status_code == 302
    assert mail_to.to("mara@arbatine.lt")[-1]["Subject"] == "[TEST] A little thank-you: 10 % off"
    refused = client.post(reverse("dashboard:test_journey", args=[ab.key]), {"step": "1:2", "customer": "ona"})
    assert refused.status_code == 400
    with pytest.raises(InvalidInput, match="no message at step 1 in variant C"):
        services.send_test(ab.key, 1, Customer.objects.get(external_id="ona"), "mara@arbatine.lt", 2)
