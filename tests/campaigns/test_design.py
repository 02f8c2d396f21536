"""A journey built as the designer builds it: saved whole or not at all, its audience counted and applied at
entry, a journey that is on keeps its trigger and steps, and every change is in the audit log."""

import pytest

from patron.campaigns import design
from patron.campaigns import services as journeys
from patron.campaigns.models import Journey, Step
from patron.core.errors import InvalidInput, JourneyNotReady
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.loyalty.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(db):
    Program.objects.create(name="Patron Rewards", currency="EUR")
    for i, language in enumerate(["lt", "lt", "lv", "en", "lt"]):
        Customer.objects.create(external_id=f"c{i}", email=f"c{i}@example.com", language=language,
                                email_consent=i != 1)


def lithuanians(**changes) -> design.Design:
    found = design.Design(name="Sveiki, lietuviai", trigger="signed_up",
                          audience={"all": [{"field": "language", "op": "in", "value": ["lt"]},
                                            {"field": "email_consent", "op": "is", "value": True}]},
                          steps=[("coupon", {"reward": "Win-back discount", "valid_days": 14}),
                                 ("send", {"template": "welcome"})])
    for name, value in changes.items():
        setattr(found, name, value)
    return found


def test_a_new_journey_is_saved_off_with_its_steps_in_order_and_audited(customers):
    journey = design.save(None, lithuanians(), actor="cli:ona")
    assert journey.key == "sveiki-lietuviai" and not journey.enabled
    assert [(s.position, s.action) for s in journey.steps.order_by("position")] == [(0, "coupon"), (1, "send")]
    event = AuditEvent.objects.get(action="journey.create")
    assert event.target == "journey:sveiki-lietuviai" and event.detail["steps"][0][0] == "coupon"
    # A second journey of the same name gets a key of its own.
    assert design.save(None, lithuanians(), actor="cli:ona").key == "sveiki-lietuviai-2"


def test_the_audience_counts_what_enters(customers):
    assert design.audience_count("", lithuanians().audience) == 2  # c0 and c4: Lithuanian and consenting
    assert design.audience_count("", {}) == 5
    journey = design.save(None, lithuanians(), actor="cli:ona")
    journeys.enable(journey.key, backlog=True)
    entered = journeys.run().entered[journey.key]
    assert entered == 2
    assert set(journey.enrollments.values_list("customer__external_id", flat=True)) == {"c0", "c4"}


def test_nothing_is_saved_when_a_step_cannot_run(customers):
    with pytest.raises(JourneyNotReady, match="no-such-message"):
        design.save(None, lithuanians(steps=[("send", {"template": "no-such-message"})]))
    assert not Journey.objects.filter(name="Sveiki, lietuviai").exists()
    with pytest.raises(JourneyNotReady, match="no SMS text"):
        design.save(None, lithuanians(steps=[("send", {"template": "idea_shipped", "channel": "sms"})]))
    journey = design.save(None, lithuanians())
    with pytest.raises(JourneyNotReady, match="needs days or hours"):
        design.save(journey.key, lithuanians(steps=[("wait", {}), ("send", {"template": "welcome"})]))
    assert list(Step.objects.filter(journey=journey).values_list("action", flat=True).order_by("position")) == ["coupon", "send"]


@pytest.mark.parametrize("change, field", [
    ({"name": " "}, "name"), ({"trigger": "sometimes"}, "trigger"), ({"holdout_share": design.Decimal("0.9")}, "holdout_share"),
    ({"conversion_days": 0}, "conversion_days"), ({"steps": []}, "steps"),
    ({"audience": {"all": [{"field": "shoe_size", "op": "gt", "value": 40}]}}, "audience"),
    ({"segment": "nobody-made-this"}, "segment"),
])
def test_a_bad_design_is_refused_naming_the_field(customers, change, field):
    with pytest.raises(InvalidInput) as refused:
        design.save(None, lithuanians(**change))
    assert refused.value.details["field"] == field
    assert not Journey.objects.filter(builtin=False).exists()


def test_a_journey_that_is_on_keeps_its_steps_but_its_audience_and_measuring_change(customers):
    journey = design.save(None, lithuanians())
    journeys.enable(journey.key)
    with pytest.raises(InvalidInput, match="switch it off"):
        design.save(journey.key, lithuanians(steps=[("send", {"template": "welcome"})]))
    design.save(journey.key, lithuanians(audience={}, conversion_days=30), actor="cli:ona")
    journey.refresh_from_db()
    assert journey.audience == {} and journey.conversion_days == 30 and journey.enabled
    changed = AuditEvent.objects.get(action="journey.change")
    assert changed.detail["changed"] == ["audience", "conversion_days"] and changed.detail["conversion_days"] == 30
    journeys.disable(journey.key)
    design.save(journey.key, lithuanians(steps=[("send", {"template": "welcome"})]))
    assert journey.steps.count() == 1


def test_saving_the_same_design_again_writes_no_change(customers):
    journey = design.save(None, lithuanians())
    design.save(journey.key, design.design_of(journey))
    assert not AuditEvent.objects.filter(action="journey.change").exists()


def test_resume_refuses_a_journey_that_is_off(customers):
    journeys.ensure_builtin()
    with pytest.raises(JourneyNotReady, match="is off"):
        journeys.resume("welcome")


def test_built_in_journeys_are_named_in_each_language_until_the_shop_renames_one(customers):
    journeys.ensure_builtin()
    winback = Journey.objects.get(key="winback")
    assert winback.name_in("lt") == "Sugrąžinimas" and winback.name_in("ka") == "დაბრუნება" and winback.name_in("en") == "Win-back"
    assert winback.description_in("lv").startswith("Klienti, kas klusē") and winback.description_in("en").startswith("Customers")
    # Saved with the name as a Lithuanian marketer sees it: not a rename, no change recorded.
    found = design.design_of(winback)
    found.name, found.description = "Sugrąžinimas", winback.description_in("lt")
    design.save("winback", found, actor="cli:ona")
    winback.refresh_from_db()
    assert winback.name == "Win-back" and winback.names["lv"] == "Atgūšana" and winback.descriptions["lv"]
    assert not AuditEvent.objects.filter(action="journey.change").exists()
    # Renamed: the shop's own name, in every language.
    found.name = "Grįžk pas mus"
    design.save("winback", found, actor="cli:ona")
    winback.refresh_from_db()
    assert winback.name_in("lv") == winback.name_in("en") == "Grįžk pas mus"
