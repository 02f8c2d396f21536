import pytest
from django.utils import timezone

from patron.core.errors import CouponUsed, InsufficientPoints, RewardNotAvailable, RewardOutOfStock
from patron.customers.services import upsert_customer
from patron.loyalty import services
from patron.loyalty.models import Coupon, Program, Reward
from tests.conftest import run_together


def setup(points=1000, stock=None, cost=100):
    stars = Program.objects.get_or_create(name="Stars", currency="EUR")[0]
    customer = upsert_customer("c1")[0]
    services.earn(stars, customer, points)
    reward = Reward.objects.create(program=stars, name="Coffee", kind="free_product", sku="COF", cost=cost, stock=stock)
    return stars, customer, reward


def test_redeeming_issues_a_coupon_used_once(db):
    stars, customer, reward = setup(stock=2)
    coupon = services.redeem_reward(customer, reward)
    assert len(coupon.code) == 19 and services.balance(stars, customer) == 900
    reward.refresh_from_db()
    assert reward.stock == 1
    used = services.use_coupon(coupon.code.lower(), reference="pos-7")
    assert used.used_reference == "pos-7"
    with pytest.raises(CouponUsed):
        services.use_coupon(coupon.code)
    services.redeem_reward(customer, reward)
    with pytest.raises(RewardOutOfStock):
        services.redeem_reward(customer, reward)
    assert services.balance(stars, customer) == 800 and services.verify() == []
    Reward.objects.filter(pk=reward.pk).update(active=False)
    reward.refresh_from_db()
    with pytest.raises(RewardNotAvailable):
        services.redeem_reward(customer, reward)


def test_a_failed_redemption_keeps_the_stock(db):
    stars, customer, reward = setup(points=50, stock=5)
    with pytest.raises(InsufficientPoints):
        services.redeem_reward(customer, reward)
    reward.refresh_from_db()
    assert reward.stock == 5 and not Coupon.objects.exists()


def run_at_once(n, work):
    return run_together([work] * n)


@pytest.mark.django_db(transaction=True)
def test_the_last_in_stock_and_one_coupon_go_once_under_concurrency():
    stars, customer, reward = setup(points=10_000, stock=3)
    outcomes = run_at_once(10, lambda: services.redeem_reward(customer, reward).code)
    assert sum(o not in ("reward_out_of_stock",) for o in outcomes) == 3 and outcomes.count("reward_out_of_stock") == 7
    code = Coupon.objects.first().code
    used = run_at_once(8, lambda: services.use_coupon(code).code)
    assert used.count(code) == 1 and used.count("coupon_used") == 7
    assert services.balance(stars, customer) == 10_000 - 300 and services.verify() == []


@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_a_redemption_keeps_the_books():
    from patron.commerce import services as commerce
    from patron.loyalty import earning

    stars = Program.objects.create(name="Race", currency="EUR", points_per_unit=1)
    customer = upsert_customer("r1")[0]
    placed = commerce.record_order(customer, "o1", placed_at=timezone.now(), total="100.00", currency="EUR")[0]
    earning.award_order(stars, placed)

    def refund():
        commerce.refund_order(placed)
        return earning.reverse_refunds(stars, placed).points

    def spend():
        return services.redeem(stars, customer, 80).points

    outcomes = run_together([refund, spend])
    balance = services.balance(stars, customer)
    # Whatever the order, the refund takes the 100 back; a redemption that got in first leaves -80.
    assert balance in (0, -80) and services.verify() == []
    assert len(outcomes) == 2 and ("insufficient_points" in outcomes) == (balance == 0)
