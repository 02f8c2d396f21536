"""Loyalty in several currencies: an order earns in the programs of its own currency, and a customer is shown the
programs, rewards and plans of the currency they buy in."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.commerce.services import record_order
from patron.customers.services import upsert_customer
from patron.loyalty import paid, services
from patron.loyalty.models import PaidPlan, Program, Reward
from patron.portal.queries import programs_for, standing

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs():
    euros = Program.objects.create(name="Patron Rewards", currency="EUR", points_per_unit=1)
    lari = Program.objects.create(name="Patron Georgia", currency="GEL", points_per_unit=1, names={"ka": "პატრონი"})
    Reward.objects.create(program=euros, name="10 EUR off", kind=Reward.Kind.DISCOUNT_AMOUNT, value=10, cost=500)
    Reward.objects.create(program=lari, name="30 GEL off", kind=Reward.Kind.DISCOUNT_AMOUNT, value=30, cost=500)
    PaidPlan.objects.create(program=euros, name="Plus", fee=Decimal("4.99"), period_months=1)
    PaidPlan.objects.create(program=lari, name="Plus Georgia", fee=Decimal("14.99"), period_months=1)
    return euros, lari


def test_a_georgian_customer_earns_in_the_gel_program_and_sees_only_it(programs):
    euros, lari = programs
    nino, _ = upsert_customer("ge-1", language="ka")
    ona, _ = upsert_customer("lt-1", language="lt")
    now = timezone.now() - dt.timedelta(hours=1)
    record_order(nino, "ge-order", total=Decimal("5306.00"), currency="GEL", placed_at=now)
    record_order(ona, "lt-order", total=Decimal("44.18"), currency="EUR", placed_at=now)
    assert services.balance(lari, nino) == 5306 and services.balance(euros, nino) == 0
    assert services.balance(euros, ona) == 44 and services.balance(lari, ona) == 0
    assert programs_for(nino) == [lari] and programs_for(ona) == [euros]
    [shown] = standing(nino)
    assert shown.program == lari and [r.name for r in shown.affordable] == ["30 GEL off"]
    assert [p.name for p in paid.open_plans(nino)] == ["Plus Georgia"] and [p.name for p in paid.open_plans(ona)] == ["Plus"]
    newcomer, _ = upsert_customer("new-1")
    assert set(programs_for(newcomer)) == {euros, lari}
