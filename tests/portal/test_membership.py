import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from patron.commerce.services import record_order
from patron.core.errors import MembershipConflict
from patron.customers.services import upsert_customer
from patron.loyalty import earning, paid, services as loyalty
from patron.loyalty.models import MembershipPeriod, PaidMembership
from patron.messaging.models import Message


def test_join_cancel_with_the_save_offer_resume_and_renew_in_the_portal(shop, signed_in):
    client, plan, ieva = signed_in(shop["ieva"]), shop["plan"], shop["ieva"]
    client.post("/portal/language/", {"language": "en"})
    page = client.get("/portal/membership/").content.decode()
    assert "Stars Plus" in page and "€49.00 a year" in page
    # Joining is a page first: the price, the period and the renewal stated, nothing created until the order.
    assert client.post("/portal/membership/join/", {"plan": plan.pk}).url == f"/portal/membership/join/{plan.pk}/"
    confirm = client.get(f"/portal/membership/join/{plan.pk}/").content.decode()
    assert "€49.00 a year" in confirm and "renews by itself at €49.00" in confirm and "Order with obligation to pay" in confirm
    assert not PaidMembership.objects.exists()
    assert client.post("/portal/membership/join/", {"plan": plan.pk, "confirm": "yes"}).url == "/portal/membership/"
    membership = PaidMembership.objects.get(customer=ieva)
    assert membership.status == "active" and membership.periods.get().fee == Decimal("49.00")
    assert client.post("/portal/membership/join/", {"plan": plan.pk, "confirm": "yes"}).status_code == 302  # a double tap: still one
    assert PaidMembership.objects.filter(customer=ieva).count() == 1
    # Cancelling first offers 30 % off the next year; staying takes it.
    offer = client.post("/portal/membership/cancel/", {"membership": membership.pk})
    assert offer.status_code == 200 and "30%" in offer.content.decode()
    client.post("/portal/membership/stay/", {"membership": membership.pk})
    membership.refresh_from_db()
    assert membership.status == "active" and membership.next_discount_percent == 30
    # The year ends: the daily run renews at 34.30, and the offer is spent.
    counts = paid.renew_due(membership.period_end + dt.timedelta(hours=1))
    assert counts == {"renewed": 1, "ended": 0}
    assert list(membership.periods.values_list("number", "fee")) == [(1, Decimal("49.00")), (2, Decimal("34.30"))]
    # The offer comes once: this cancellation goes through, and resuming undoes it.
    client.post("/portal/membership/cancel/", {"membership": membership.pk})
    membership.refresh_from_db()
    assert membership.status == "cancelling"
    assert "Keep my membership" in client.get("/portal/membership/").content.decode()
    client.post("/portal/membership/resume/", {"membership": membership.pk})
    membership.refresh_from_db()
    assert membership.status == "active"
    client.post("/portal/membership/cancel/", {"membership": membership.pk, "confirm": "yes"})
    assert paid.renew_due(membership.period_end + dt.timedelta(days=1)) == {"renewed": 0, "ended": 1}
    membership.refresh_from_db()
    assert membership.status == "ended" and membership.periods.count() == 2
    assert "Past memberships" in client.get("/portal/membership/").content.decode()
    # Rejoining starts a new membership (a new cohort for the analytics).
    client.post("/portal/membership/join/", {"plan": plan.pk, "confirm": "yes"})
    assert PaidMembership.objects.filter(customer=ieva).count() == 2


def test_a_member_earns_more_and_may_have_members_only_rewards(shop):
    ieva, plan = shop["ieva"], shop["plan"]
    before = record_order(ieva, "before", total=Decimal("100.00"), currency="EUR", placed_at=timezone.now() - dt.timedelta(hours=2))[0]
    paid.join(ieva, plan, at=timezone.now() - dt.timedelta(hours=1))
    after = record_order(ieva, "after", total=Decimal("100.00"), currency="EUR", placed_at=timezone.now())[0]
    assert earning.award_order_everywhere(before) == 100 and earning.award_order_everywhere(after) == 200
    assert earning.score_order(shop["program"], after).bonuses == ["Stars Plus x2.00"]
    coupon = loyalty.redeem_reward(ieva, shop["members"])
    assert coupon.reward == shop["members"]


def test_membership_rules(shop):
    ieva, plan = shop["ieva"], shop["plan"]
    membership = paid.join(ieva, plan)
    with pytest.raises(MembershipConflict):
        paid.join(ieva, plan)
    with pytest.raises(MembershipConflict):
        paid.resume(membership)  # not cancelled
    paid.cancel(membership)
    with pytest.raises(MembershipConflict):
        paid.cancel(membership)
    with pytest.raises(MembershipConflict):
        paid.take_save_offer(membership)
    plan.active = False
    plan.save()
    with pytest.raises(MembershipConflict):
        paid.join(shop["jonas"], plan)


def test_renewal_reminders_go_once_per_period(shop):
    membership = paid.join(shop["ieva"], shop["plan"])
    assert paid.remind_renewals(membership.period_end - dt.timedelta(days=30)) == 0
    assert paid.remind_renewals(membership.period_end - dt.timedelta(days=5)) == 1
    assert paid.remind_renewals(membership.period_end - dt.timedelta(days=4)) == 0
    message = Message.objects.get(template="membership_renewal")
    assert message.purpose == "transactional" and message.context["plan"] == "Stars Plus"
    paid.renew_due(membership.period_end)
    membership.refresh_from_db()
    assert paid.remind_renewals(membership.period_end - dt.timedelta(days=5)) == 1  # the next period's


def test_a_missed_run_catches_up_period_by_period(shop):
    shop["plan"].period_months = 1
    shop["plan"].save()
    start = dt.datetime(2026, 1, 31, 12, tzinfo=dt.timezone.utc)
    membership = paid.join(shop["ieva"], shop["plan"], at=start)
    assert paid.renew_due(dt.datetime(2026, 4, 30, 13, tzinfo=dt.timezone.utc))["renewed"] == 3
    ends = list(MembershipPeriod.objects.filter(membership=membership).values_list("ends_at", flat=True))
    assert [e.date().isoformat() for e in ends] == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]


def test_renewals_per_cohort_feed_the_sbg_forecast(shop, capsys):
    """Members drawn from a known sBG (alpha 3, beta 9): the fit finds it again from the renewal counts."""
    plan = shop["plan"]
    plan.period_months = 1
    plan.save()
    rng = np.random.default_rng(7)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    customers = [upsert_customer(f"m{i}")[0] for i in range(1500)]
    for i, customer in enumerate(customers):
        joined = dt.datetime(2025, 1 + i % 10, 1 + i % 20, tzinfo=dt.timezone.utc)
        theta = rng.beta(3, 9)
        membership = paid.join(customer, plan, at=joined)
        renewals = 0
        while rng.random() > theta:
            renewals += 1
        for n in range(2, renewals + 2):
            if paid.period_end(joined, plan, n - 1) > now:
                break
            MembershipPeriod.objects.create(membership=membership, number=n, starts_at=paid.period_end(joined, plan, n - 1),
                                            ends_at=paid.period_end(joined, plan, n), fee=plan.fee)
    found = paid.renewal_report(plan, now).cohorts
    assert [c.month for c in found] == [f"2025-{m:02d}" for m in range(1, 11)]
    assert all(c.members == 150 and c.active[0] == 150 for c in found)
    assert all(a >= b for c in found for a, b in zip(c.active, c.active[1:]))
    assert len(found[0].active) > len(found[-1].active)  # older cohorts are observed for longer
    report = paid.renewal_report(plan, now)
    assert report.alpha == pytest.approx(3, rel=0.35) and report.beta == pytest.approx(9, rel=0.35)
    assert report.retention[0] == pytest.approx(9 / 12, abs=0.04)  # r(1) = beta / (alpha + beta)
    assert all(a < b for a, b in zip(report.retention, report.retention[1:]))  # retention rises: leavers go first
    call_command("membership", "report")
    out = capsys.readouterr().out
    assert "Stars Plus" in out and "joined 2025-01:" in out and "sBG alpha=" in out


def test_the_report_names_a_missing_plan(shop):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no plan named 'Gold'"):
        call_command("membership", "report", "--plan", "Gold")


def test_the_shop_reads_the_perks_and_the_export_holds_the_periods(shop):
    from patron.customers.queries import export_customer
    from patron.loyalty.queries import status

    paid.join(shop["ieva"], shop["plan"])
    [stars] = status(shop["ieva"])
    assert stars["memberships"][0]["plan"] == "Stars Plus" and stars["memberships"][0]["free_delivery"] is True
    assert status(shop["jonas"])[0]["memberships"] == []
    [exported] = export_customer(shop["ieva"])["paid_memberships"]
    assert exported["status"] == "active" and exported["periods"][0]["fee"] == Decimal("49.00")


def test_a_plan_is_offered_only_in_the_currency_the_customer_buys_in(shop, signed_in):
    plan = shop["plan"]  # priced in its program's euros
    nino, _ = upsert_customer("ge-1", first_name="ნინო", language="ka", email="nino@example.ge")
    record_order(nino, "ge-order", total=Decimal("5306.00"), currency="GEL", placed_at=timezone.now())
    assert plan.program.currency == "EUR" and paid.customer_currency(nino) == "GEL"
    assert list(paid.open_plans(nino)) == []
    client = signed_in(nino)
    assert plan.name not in client.get("/portal/membership/").content.decode()
    assert client.get(f"/portal/membership/join/{plan.pk}/").status_code == 404
    with pytest.raises(MembershipConflict, match="priced in EUR"):
        paid.join(nino, plan)
    client.post("/portal/membership/join/", {"plan": plan.pk, "confirm": "yes"})
    assert not PaidMembership.objects.filter(customer=nino).exists()
    # A customer buying in euros, or one who has not ordered yet, is offered it.
    record_order(shop["ieva"], "eur-order", total=Decimal("20.00"), currency="EUR", placed_at=timezone.now())
    assert plan in paid.open_plans(shop["ieva"])
    fresh, _ = upsert_customer("new-1", email="new@example.com")
    assert plan in paid.open_plans(fresh)
