import datetime as dt
from decimal import Decimal

import pytest

from patron.commerce import services as commerce
from patron.customers.services import upsert_customer
from patron.loyalty import earning, services
from patron.loyalty.models import EarningRule, Movement, Program

SATURDAY = dt.datetime(2025, 6, 7, 12, tzinfo=dt.UTC)
MONDAY = dt.datetime(2025, 6, 9, 12, tzinfo=dt.UTC)


@pytest.fixture
def stars(db):
    return Program.objects.create(name="Stars", currency="EUR", points_per_unit=2)


def order(customer, external_id, at, lines=None, total="0"):
    lines = lines or []
    total = total if not lines else str(sum(Decimal(str(line["unit_price"])) * line["quantity"] for line in lines))
    return commerce.record_order(customer, external_id, placed_at=at, total=total, currency="EUR", lines=lines)[0]


def test_points_follow_the_rules_in_force_when_the_order_was_placed(stars):
    jonas = upsert_customer("c1")[0]
    since = MONDAY - dt.timedelta(days=30)
    EarningRule.objects.create(program=stars, kind="category_multiplier", target="Books", multiplier=3, valid_from=since)
    EarningRule.objects.create(program=stars, kind="bonus_window", weekdays="6,7", multiplier=2, valid_from=since)
    EarningRule.objects.create(program=stars, kind="first_purchase_bonus", bonus_points=50, valid_from=since)
    lines = [{"sku": "B1", "category": "Books", "quantity": 1, "unit_price": "10.00"},
             {"sku": "T1", "category": "Toys", "quantity": 2, "unit_price": "4.99"}]
    first = order(jonas, "o1", SATURDAY, lines)
    score = earning.score_order(stars, first)
    # (10 x 2 x 3 + 9.98 x 2) = 79.96, doubled on a Saturday = 159.92 -> 159, plus 50 for the first purchase
    assert score.points == 209 and score.base == Decimal("159.92")
    second = order(jonas, "o2", MONDAY, [{"sku": "T1", "category": "Toys", "quantity": 1, "unit_price": "9.99"}])
    assert earning.score_order(stars, second).points == 19  # 19.98 rounded down, no bonus
    # A rule changed later does not rescore the past: it applies from its own start.
    EarningRule.objects.filter(kind="category_multiplier").update(valid_until=MONDAY)
    EarningRule.objects.create(program=stars, kind="category_multiplier", target="Toys", multiplier=5, valid_from=MONDAY)
    assert earning.score_order(stars, first).points == 209
    assert earning.score_order(stars, second).points == 99  # 9.99 x 2 x 5 = 99.9


def test_an_order_earns_once_and_refunds_take_back_their_share(stars):
    ona = upsert_customer("c2")[0]
    placed = order(ona, "o9", MONDAY, total="100.00")
    award = earning.award_order(stars, placed)
    assert award.points == 200 and earning.award_order(stars, placed).pk == award.pk
    assert Movement.objects.filter(kind="earn").count() == 1
    commerce.refund_order(placed, "30.00")
    earning.reverse_refunds(stars, placed)
    assert services.balance(stars, ona) == 140
    assert earning.reverse_refunds(stars, placed) is None  # nothing more is due for the same refunds
    commerce.refund_order(placed, "70.00")
    earning.reverse_refunds(stars, placed)
    assert services.balance(stars, ona) == 0 and services.verify() == []
    cancelled = commerce.record_order(ona, "o10", placed_at=MONDAY, total="50.00", currency="EUR", status="cancelled")[0]
    assert earning.award_order(stars, cancelled) is None and not Movement.objects.filter(reference="o10").exists()


def test_refund_of_spent_points_under_clawback_is_not_counted_twice(db):
    program = Program.objects.create(name="Claw", currency="EUR", refund_policy="clawback")
    who = upsert_customer("c3")[0]
    placed = order(who, "o1", MONDAY, total="100.00")
    earning.award_order(program, placed)
    services.redeem(program, who, 90)
    commerce.refund_order(placed)
    earning.reverse_refunds(program, placed)
    earning.reverse_refunds(program, placed)
    account = services.wallet(program, who)
    assert (account.balance, account.owed) == (0, 90)
    assert services.verify() == []


def test_history_is_awarded_set_wise_once(db):
    """Orders placed before the program existed earn when it starts, scored as every order is."""
    ona, jonas = upsert_customer("c1")[0], upsert_customer("c2")[0]
    for n, (who, total) in enumerate([(ona, "10.99"), (ona, "5.00"), (jonas, "100.00"), (jonas, "0.40")]):
        order(who, f"h{n}", MONDAY - dt.timedelta(days=n), total=total)
    stars = Program.objects.create(name="Stars", currency="EUR", points_per_unit=2)
    awarded = earning.award_history(stars, batch=3)
    assert awarded == 3  # 0.40 x 2 rounds down to 0 points: nothing to earn
    assert services.balance(stars, ona) == 21 + 10 and services.balance(stars, jonas) == 200
    assert earning.award_history(stars) == 0 and services.verify() == []
    assert earning.award_order(stars, order(ona, "h0", MONDAY, total="10.99")).points == 21  # the same award, not a new one


def test_revising_a_rule_keeps_the_past_scored_as_it_was(stars):
    jonas = upsert_customer("c5")[0]
    rule = EarningRule.objects.create(program=stars, kind="category_multiplier", target="Books", multiplier=3,
                                      valid_from=MONDAY - dt.timedelta(days=30))
    before = order(jonas, "r1", MONDAY - dt.timedelta(days=1), [{"sku": "B9", "category": "Books", "quantity": 1, "unit_price": "10.00"}])
    new = earning.revise_rule(rule, {"multiplier": Decimal("5")}, at=MONDAY)
    after = order(jonas, "r2", MONDAY + dt.timedelta(days=1), [{"sku": "B9", "category": "Books", "quantity": 1, "unit_price": "10.00"}])
    assert new.pk != rule.pk and EarningRule.objects.get(pk=rule.pk).valid_until == MONDAY
    assert earning.score_order(stars, before).points == 60 and earning.score_order(stars, after).points == 100


def test_changing_a_rule_in_the_admin_opens_a_new_version(stars, django_user_model, client):
    rule = EarningRule.objects.create(program=stars, kind="first_purchase_bonus", bonus_points=50,
                                      valid_from=MONDAY - dt.timedelta(days=30))
    client.force_login(django_user_model.objects.create_superuser("boss", "b@shop.lt", "a long enough password"))
    form = {"program": stars.pk, "kind": "first_purchase_bonus", "target": "", "multiplier": "1", "bonus_points": "80",
            "weekdays": "", "valid_from_0": (MONDAY - dt.timedelta(days=30)).strftime("%Y-%m-%d"),
            "valid_from_1": "12:00:00", "valid_until_0": "", "valid_until_1": ""}
    response = client.post(f"/admin/loyalty/earningrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    versions = list(EarningRule.objects.filter(kind="first_purchase_bonus").order_by("id").values_list("bonus_points", "valid_until"))
    assert versions[0][0] == 50 and versions[0][1] is not None and versions[1] == (80, None)


def test_the_admin_refuses_rules_and_rewards_that_cannot_work(stars, django_user_model, client):
    client.force_login(django_user_model.objects.create_superuser("boss", "b@shop.lt", "a long enough password"))
    rule = {"program": stars.pk, "kind": "bonus_window", "target": "", "multiplier": "2", "bonus_points": "0",
            "weekdays": "6,sunday", "valid_from_0": "2025-06-01", "valid_from_1": "00:00:00", "valid_until_0": "", "valid_until_1": ""}
    page = client.post("/admin/loyalty/earningrule/add/", rule)
    assert page.status_code == 200 and b"ISO weekdays" in page.content and not EarningRule.objects.exists()
    page = client.post("/admin/loyalty/earningrule/add/", {**rule, "weekdays": "", "kind": "category_multiplier"})
    assert b"needs a category name" in page.content and not EarningRule.objects.exists()
    assert client.post("/admin/loyalty/earningrule/add/", {**rule, "weekdays": "6,7"}).status_code == 302
    reward = {"program": stars.pk, "name": "Half off", "kind": "discount_percent", "value": "150", "sku": "", "cost": "100",
              "stock": "", "valid_from_0": "", "valid_from_1": "", "valid_until_0": "", "valid_until_1": "", "active": "on"}
    page = client.post("/admin/loyalty/reward/add/", reward)
    assert b"at most 100" in page.content
    assert client.post("/admin/loyalty/reward/add/", {**reward, "value": "50"}).status_code == 302


def test_the_admin_shows_a_system_account_balance_from_its_entries(stars, django_user_model, client):
    jonas = upsert_customer("c7")[0]
    services.earn(stars, jonas, 120, at=MONDAY)
    client.force_login(django_user_model.objects.create_superuser("boss", "b@shop.lt", "a long enough password"))
    page = client.get("/admin/loyalty/account/?kind__exact=liability").content.decode()
    assert "-120" in page and services.system_balance(stars, "liability") == -120
    assert "120" in client.get("/admin/loyalty/account/?kind__exact=wallet").content.decode()
