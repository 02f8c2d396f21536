"""The program setup's pages: an administrator sets up tiers, rewards (with a picture and names per language), earning
rules and paid plans; a preview saves nothing; bad input comes back on the form, by field, with the rest kept."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from patron.core.models import AuditEvent
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.loyalty.models import EarningRule, PaidPlan, Program, Reward, Tier

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password"


@pytest.fixture
def program():
    return Program.objects.create(name="Patron Rewards", currency="EUR")


def _client(role: str) -> Client:
    user, _password = add_staff(role, role, password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin():
    return _client(roles.ADMIN)


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 60)).save(out, "PNG")
    return SimpleUploadedFile("bag.png", out.getvalue(), content_type="image/png")


REWARD = {"name": "Tote bag", "name_lv": "Auduma soma", "name_et": "Riidest kott", "description": "Organic cotton",
          "description_lv": "Bioloģiska kokvilna", "kind": "gift", "value": "0", "cost": "300", "active": "on"}


def test_an_admin_adds_a_reward_with_a_picture_and_the_portal_shows_it_in_latvian(admin, program):
    response = admin.post(reverse("dashboard:new_part", args=[program.pk, "reward"]), {**REWARD, "picture": _png()})
    assert response.status_code == 302, response.content.decode()[:2000]
    reward = Reward.objects.get()
    assert reward.names == {"lv": "Auduma soma", "et": "Riidest kott"} and reward.descriptions == {"lv": "Bioloģiska kokvilna"}
    assert reward.image_hash and AuditEvent.objects.get(action="program.setup").detail["kind"] == "reward"
    picture = Client().get(reverse("portal:reward_picture", args=[reward.pk, reward.image_hash]))
    assert picture.status_code == 200 and picture["Content-Type"] == "image/webp" and "immutable" in picture["Cache-Control"]
    assert Client().get(reverse("portal:reward_picture", args=[reward.pk, "0" * 16])).status_code == 404
    page = admin.get(reverse("dashboard:part", args=[program.pk, "reward", reward.pk])).content.decode()
    # The preview: the portal's card in each language, the Latvian one with the Latvian name and description.
    assert "Auduma soma" in page and "Riidest kott" in page and "Bioloģiska kokvilna" in page
    assert page.count("<iframe") == 5


def test_a_preview_saves_nothing_and_shows_the_typed_names(admin, program):
    response = admin.post(reverse("dashboard:new_part", args=[program.pk, "reward"]), {**REWARD, "preview": "1"})
    assert response.status_code == 200 and not Reward.objects.exists()
    assert "Auduma soma" in response.content.decode()


def test_bad_input_comes_back_by_field_and_keeps_the_rest(admin, program):
    Tier.objects.create(program=program, name="Gold", rank=2, threshold=800)
    response = admin.post(reverse("dashboard:new_part", args=[program.pk, "tier"]),
                          {"name": "Bronze", "name_lv": "Bronza", "rank": "3", "threshold": "100", "multiplier": "1"})
    page = response.content.decode()
    assert response.status_code == 400 and "A higher tier needs a higher threshold" in page
    assert 'value="Bronza"' in page and Tier.objects.count() == 1
    bad = admin.post(reverse("dashboard:new_part", args=[program.pk, "reward"]), {**REWARD, "picture": SimpleUploadedFile("x.png", b"no")})
    assert bad.status_code == 400 and "not a picture" in bad.content.decode() and not Reward.objects.exists()
    currency = admin.post(reverse("dashboard:program_page", args=[program.pk]), {"name": "Patron Rewards", "currency": "XYZ",
                          "points_per_unit": "1", "expiry_reminder_days": "30", "refund_policy": "negative_balance",
                          "tier_basis": "points", "tier_window_days": "365", "tier_grace_days": "30", "point_value": "0.01",
                          "referrer_bonus": "0", "friend_bonus": "0"})
    assert currency.status_code == 400 and "XYZ is not an ISO 4217 currency code" in currency.content.decode()


def test_a_rule_and_a_plan_are_set_up_and_a_changed_rule_keeps_its_past(admin, program):
    rule = {"kind": "bonus_window", "multiplier": "2", "bonus_points": "0", "weekdays": ["6", "7"], "valid_from": "2026-01-01T00:00"}
    assert admin.post(reverse("dashboard:new_part", args=[program.pk, "rule"]), rule).status_code == 302
    first = EarningRule.objects.get()
    assert first.weekdays == "6,7" and first.multiplier == 2
    assert admin.post(reverse("dashboard:part", args=[program.pk, "rule", first.pk]), {**rule, "multiplier": "3"}).status_code == 302
    assert sorted(EarningRule.objects.values_list("multiplier", flat=True)) == [2, 3]
    plan = {"name": "Plus", "name_et": "Pluss", "fee": "4.99", "period_months": "1", "earn_multiplier": "2",
            "save_offer_percent": "0", "reminder_days": "7", "active": "on"}
    assert admin.post(reverse("dashboard:new_part", args=[program.pk, "plan"]), plan).status_code == 302
    assert PaidPlan.objects.get().name_in("et") == "Pluss"
    assert "Pluss" in admin.get(reverse("dashboard:part", args=[program.pk, "plan", PaidPlan.objects.get().pk])).content.decode()


def test_only_an_administrator_sets_the_program_up(program):
    for role in (roles.MARKETER, roles.SUPPORT, roles.ANALYST):
        client = _client(role)
        assert client.get(reverse("dashboard:program")).status_code == 403
        assert client.post(reverse("dashboard:new_part", args=[program.pk, "tier"]), {"name": "X"}).status_code == 403
    assert not Tier.objects.exists()
