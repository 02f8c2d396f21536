import datetime as dt

import pytest

from patron.commerce import services as commerce
from patron.core.errors import RewardNotAvailable
from patron.customers.services import upsert_customer
from patron.loyalty import earning, services, tiers
from patron.loyalty.models import Program, Reward, Tier, TierEvent

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def club(db):
    program = Program.objects.create(name="Club", currency="EUR", tier_window_days=365, tier_grace_days=30)
    silver = Tier.objects.create(program=program, name="Silver", rank=1, threshold=500, multiplier="1.25")
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=2000, multiplier="1.5")
    return program, silver, gold


def test_upgrade_at_once_downgrade_after_a_warning_and_the_grace_period(club):
    program, silver, gold = club
    ona = upsert_customer("c1")[0]
    services.earn(program, ona, 2100, at=NOW - dt.timedelta(days=300))
    run = tiers.evaluate(program, NOW)
    assert run.upgrades == 1 and tiers.current_tier(program, ona) == gold
    # 100 days later the earning is out of the window: a warning, and Gold is kept for the grace period.
    later = NOW + dt.timedelta(days=100)
    assert tiers.evaluate(program, later).warnings == 1
    assert tiers.current_tier(program, ona) == gold
    assert tiers.evaluate(program, later + dt.timedelta(days=10)).warnings == 0  # warned once
    run = tiers.evaluate(program, later + dt.timedelta(days=30))
    assert run.downgrades == 1 and tiers.current_tier(program, ona) is None
    kinds = list(TierEvent.objects.filter(customer=ona).order_by("at").values_list("kind", "from_tier__name", "to_tier__name"))
    assert kinds == [("upgrade", None, "Gold"), ("warning", "Gold", None), ("downgrade", "Gold", None)]


def test_earning_again_in_the_grace_period_keeps_the_tier(club):
    program, silver, gold = club
    ona = upsert_customer("c1")[0]
    services.earn(program, ona, 600, at=NOW - dt.timedelta(days=360))
    tiers.evaluate(program, NOW)
    tiers.evaluate(program, NOW + dt.timedelta(days=10))  # short now: warned
    services.earn(program, ona, 600, at=NOW + dt.timedelta(days=12))
    tiers.evaluate(program, NOW + dt.timedelta(days=50))
    assert tiers.current_tier(program, ona) == silver
    assert not TierEvent.objects.filter(kind="downgrade").exists()


def test_tiers_multiply_earnings_and_gate_rewards(club):
    program, silver, gold = club
    ona = upsert_customer("c1")[0]
    services.earn(program, ona, 600, at=NOW - dt.timedelta(days=10))
    gala = Reward.objects.create(program=program, name="Gala night", kind="gift", cost=100, min_tier=gold)
    with pytest.raises(RewardNotAvailable, match="Gold members"):
        services.redeem_reward(ona, gala)
    tiers.evaluate(program, NOW)
    order = commerce.record_order(ona, "o1", placed_at=NOW, total="100.00", currency="EUR")[0]
    score = earning.score_order(program, order)
    assert score.points == 125 and "Silver x1.25" in score.bonuses
    services.earn(program, ona, 1500, at=NOW)
    tiers.evaluate(program, NOW + dt.timedelta(days=1))
    assert services.redeem_reward(ona, gala).code


def test_tiers_on_spend(db):
    program = Program.objects.create(name="Spend", currency="EUR", tier_basis="spend")
    vip = Tier.objects.create(program=program, name="VIP", rank=1, threshold=1000)
    ona = upsert_customer("c1")[0]
    big = commerce.record_order(ona, "o1", placed_at=NOW - dt.timedelta(days=5), total="1200.00", currency="EUR")[0]
    tiers.evaluate(program, NOW)
    assert tiers.current_tier(program, ona) == vip
    commerce.refund_order(big, "300.00")
    assert tiers.qualifying_values(program, NOW)[ona.pk] == 900
