import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from patron.customers.services import upsert_customer
from patron.loyalty import services as loyalty
from patron.loyalty.models import PaidPlan, Program, Reward, Tier

LINK = re.compile(r"(https?://\S+/portal/in/[A-Za-z0-9_-]+/)")


@pytest.fixture
def shop(db, settings):
    """A program with tiers, rewards, a paid plan, and two customers with points."""
    settings.PATRON_BASE_URL = "http://testserver"
    program = Program.objects.create(name="Stars", currency="EUR", referrer_bonus=200, friend_bonus=100, expiry_days=365)
    silver = Tier.objects.create(program=program, name="Silver", rank=1, threshold=500)
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=2000)
    coffee = Reward.objects.create(program=program, name="Free coffee", kind="free_product", sku="COF", cost=300)
    voucher = Reward.objects.create(program=program, name="10 EUR voucher", kind="discount_amount", value=10, cost=1000)
    golden = Reward.objects.create(program=program, name="Tasting evening", kind="gift", cost=200, min_tier=gold)
    members = Reward.objects.create(program=program, name="Members' mug", kind="gift", cost=100, members_only=True)
    plan = PaidPlan.objects.create(program=program, name="Stars Plus", fee=Decimal("49.00"), period_months=12,
                                   earn_multiplier=Decimal("2"), free_delivery=True, save_offer_percent=30)
    ieva = upsert_customer("ieva", email="ieva@example.com", first_name="Ieva", language="lt", email_consent=True)[0]
    jonas = upsert_customer("jonas", email="jonas@example.com", first_name="Jonas", language="en")[0]
    loyalty.earn(program, ieva, 820, reason="order", reference="o-1", at=timezone.now() - dt.timedelta(days=3))
    loyalty.earn(program, jonas, 5000, reason="order", reference="o-2")
    return {"program": program, "silver": silver, "gold": gold, "coffee": coffee, "voucher": voucher, "golden": golden,
            "members": members, "plan": plan, "ieva": ieva, "jonas": jonas}


@pytest.fixture
def signed_in(shop):
    """signed_in(customer) -> a Client whose portal session belongs to that customer."""
    def make(customer) -> Client:
        client = Client()
        session = client.session
        session["portal_customer"] = customer.pk
        session["portal_seen"] = int(timezone.now().timestamp())
        session.save()
        return client
    return make
