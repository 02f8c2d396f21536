import datetime as dt

import pytest

from patron.commerce import services as commerce
from patron.core.errors import ReferralRefused
from patron.customers.services import upsert_customer
from patron.loyalty import earning, programme, services
from patron.loyalty.models import EarningRule, ExpiryNotice, Program

NOW = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def club(db):
    return Program.objects.create(name="Club", currency="EUR", referrer_bonus=200, friend_bonus=100, expiry_days=60,
                                  expiry_reminder_days=14, point_value="0.02")


def test_referral_rewards_both_on_the_friends_first_order_once(club):
    ona, jonas, mari = (upsert_customer(c)[0] for c in ("c1", "c2", "c3"))
    code = programme.referral_code(club, ona)
    assert programme.referral_code(club, ona) == code and len(code) == 8
    programme.refer(club, jonas, code.lower())
    assert services.balance(club, ona) == 0  # not on sign-up
    first = commerce.record_order(jonas, "o1", placed_at=NOW, total="10.00", currency="EUR")[0]
    earning.award_order(club, first)
    second = commerce.record_order(jonas, "o2", placed_at=NOW + dt.timedelta(days=1), total="10.00", currency="EUR")[0]
    earning.award_order(club, second)
    assert services.balance(club, ona) == 200 and services.balance(club, jonas) == 100 + 10 + 10
    with pytest.raises(ReferralRefused, match="themselves"):
        programme.refer(club, ona, code)
    with pytest.raises(ReferralRefused, match="already referred"):
        programme.refer(club, jonas, code)
    with pytest.raises(ReferralRefused, match="loop"):  # ona was not referred, but jonas (ona's friend) now refers ona
        programme.refer(club, ona, programme.referral_code(club, jonas))
    commerce.record_order(mari, "o3", placed_at=NOW, total="5.00", currency="EUR")
    with pytest.raises(ReferralRefused, match="new customer"):
        programme.refer(club, mari, code)
    with pytest.raises(ReferralRefused, match="no referral code"):
        programme.refer(club, mari, "NOPE")
    assert services.verify() == []


def test_birthday_bonus_once_a_year_expiry_notices_and_liability(club):
    ona = upsert_customer("c1", birth_date=dt.date(1990, 6, 1))[0]
    upsert_customer("c2", birth_date=dt.date(1990, 6, 2))
    EarningRule.objects.create(program=club, kind="birthday_bonus", bonus_points=50, valid_from=NOW - dt.timedelta(days=400))
    assert programme.birthday_bonuses(club, NOW.date()) == 1
    assert programme.birthday_bonuses(club, NOW.date()) == 0  # the same day again: nothing more
    assert services.balance(club, ona) == 50
    services.earn(club, ona, 950, at=NOW - dt.timedelta(days=50))  # expires in 10 days
    assert programme.expiry_notices(club, NOW) == 1 and programme.expiry_notices(club, NOW) == 0
    notice = ExpiryNotice.objects.get()
    assert notice.points == 950 and notice.customer == ona
    owed = programme.liability(club, NOW)
    assert owed.outstanding_points == 1000 and str(owed.value) == "20.00"
    assert owed.expiring[30] == 950 and owed.expiring[90] == 1000
