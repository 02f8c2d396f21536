import datetime as dt
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from patron.core.errors import InsufficientPoints, InvalidInput
from patron.customers.services import upsert_customer
from patron.loyalty import services
from patron.loyalty.models import Account, Lot, Movement, Program

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def program(**options) -> Program:
    return Program.objects.create(name=options.pop("name", "Stars"), currency="EUR", **options)


@pytest.fixture
def jonas(db):
    return upsert_customer("c1", first_name="Jonas")[0]


def test_earn_and_redeem_move_points_between_accounts(jonas):
    stars = program()
    services.earn(stars, jonas, 500, reason="order o1", reference="o1", at=NOW)
    spent = services.redeem(stars, jonas, 120, reason="coffee", at=NOW)
    assert services.balance(stars, jonas) == 380 and spent.points == -120
    accounts = {kind: services.system_balance(stars, kind) for kind in ("liability", "redeemed")} | {"wallet": services.balance(stars, jonas)}
    assert accounts == {"wallet": 380, "liability": -500, "redeemed": 120}
    assert set(Account.objects.exclude(kind="wallet").values_list("balance", flat=True)) == {0}  # system accounts cache nothing
    assert sum(accounts.values()) == 0 and services.verify() == []
    with pytest.raises(InsufficientPoints) as refused:
        services.redeem(stars, jonas, 381)
    assert refused.value.code == "insufficient_points" and services.balance(stars, jonas) == 380
    with pytest.raises(InvalidInput):
        services.earn(stars, jonas, 0)
    with pytest.raises(InvalidInput):
        services.redeem(stars, jonas, 2.5)


def test_redemptions_draw_from_the_lots_closest_to_expiry(jonas):
    stars = program(expiry_days=365)
    old = services.earn(stars, jonas, 100, at=NOW - dt.timedelta(days=300))
    new = services.earn(stars, jonas, 100, at=NOW - dt.timedelta(days=10))
    spent = services.redeem(stars, jonas, 150, at=NOW)
    drawn = {e.lot.movement_id: e.points for e in spent.entries.select_related("lot")}
    assert drawn == {old.pk: 100, new.pk: 50}
    assert Lot.objects.get(movement=old).remaining == 0 and Lot.objects.get(movement=new).remaining == 50


def test_expiry_and_adjustments(jonas):
    stars = program(expiry_days=30)
    services.earn(stars, jonas, 100, at=NOW - dt.timedelta(days=40))
    services.earn(stars, jonas, 70, at=NOW - dt.timedelta(days=5))
    assert services.expire_lots(now=NOW) == 1 and services.expire_lots(now=NOW) == 0
    assert services.balance(stars, jonas) == 70
    assert services.system_balance(stars, "expired") == 100
    services.adjust(stars, jonas, 30, reason="sorry for the late parcel", by="ona", at=NOW)
    services.adjust(stars, jonas, -20, reason="double grant", at=NOW)
    assert services.balance(stars, jonas) == 80
    with pytest.raises(InvalidInput, match="reason"):
        services.adjust(stars, jonas, 10, reason=" ")
    with pytest.raises(InsufficientPoints):
        services.adjust(stars, jonas, -81, reason="too much")
    assert services.verify() == []


def test_refunds_follow_the_program_policy(jonas):
    negative = program(name="Negative")
    services.earn(negative, jonas, 100, at=NOW)
    services.redeem(negative, jonas, 80, at=NOW)
    services.reverse(negative, jonas, 100, reason="order o1 refunded", reference="o1")
    assert services.balance(negative, jonas) == -80
    with pytest.raises(InsufficientPoints):
        services.redeem(negative, jonas, 1)
    clawback = program(name="Clawback", refund_policy=Program.RefundPolicy.CLAWBACK)
    services.earn(clawback, jonas, 100, at=NOW)
    services.redeem(clawback, jonas, 80, at=NOW)
    services.reverse(clawback, jonas, 100, reason="order o2 refunded", reference="o2")
    account = services.wallet(clawback, jonas)
    assert (account.balance, account.owed) == (0, 80)
    services.earn(clawback, jonas, 50, at=NOW)
    services.earn(clawback, jonas, 50, at=NOW)
    account.refresh_from_db()
    assert (account.balance, account.owed) == (20, 0)
    assert services.verify() == []


def test_verify_finds_tampering_and_the_command_exits_non_zero(jonas):
    stars = program()
    services.earn(stars, jonas, 100, at=NOW)
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "balances" in out.getvalue()
    Account.objects.filter(program=stars, kind="wallet").update(balance=1_000_000)
    Lot.objects.update(remaining=99)
    problems = [str(p) for p in services.verify()]
    assert any("wallet" in p and "1000000" in p for p in problems) and any("lot" in p for p in problems)
    with pytest.raises(CommandError) as failed:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert failed.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_redemptions_spend_each_point_once():
    customer = upsert_customer("c9")[0]
    stars = program()
    services.earn(stars, customer, 1000, at=NOW)
    outcomes: list[str] = []
    start = threading.Barrier(50)

    def spend():
        try:
            start.wait()
            services.redeem(stars, customer, 30)
            outcomes.append("ok")
        except InsufficientPoints as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1000 // 30 and outcomes.count("insufficient_points") == 50 - 1000 // 30
    assert services.balance(stars, customer) == 1000 % 30
    assert Movement.objects.filter(kind="redeem").count() == 33 and services.verify() == []


class Books(RuleBasedStateMachine):
    """Random sequences of earn, redeem, refund, expire and adjust keep the books balanced."""

    @initialize(policy=st.sampled_from(list(Program.RefundPolicy.values)))
    def start(self, policy):
        self.program = Program.objects.create(name=f"Machine {Program.objects.count()}", currency="EUR", expiry_days=30,
                                              refund_policy=policy)
        self.customers = [upsert_customer(f"m{Program.objects.count()}-{i}")[0] for i in range(2)]
        self.now = NOW

    @rule(who=st.integers(0, 1), points=st.integers(1, 500))
    def earn(self, who, points):
        services.earn(self.program, self.customers[who], points, at=self.now)

    @rule(who=st.integers(0, 1), points=st.integers(1, 500))
    def redeem(self, who, points):
        try:
            services.redeem(self.program, self.customers[who], points, at=self.now)
        except InsufficientPoints:
            pass

    @rule(who=st.integers(0, 1), points=st.integers(1, 300))
    def refund(self, who, points):
        services.reverse(self.program, self.customers[who], points, reason="refund", at=self.now)

    @rule(who=st.integers(0, 1), points=st.integers(-100, 100).filter(bool))
    def adjust(self, who, points):
        try:
            services.adjust(self.program, self.customers[who], points, reason="staff", at=self.now)
        except InsufficientPoints:
            pass

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        self.now += dt.timedelta(days=days)
        services.expire_lots(now=self.now)

    @invariant()
    def balanced(self):
        assert services.verify() == []
        assert not Lot.objects.filter(remaining__lt=0).exists()
        for customer in self.customers:
            account = services.wallet(self.program, customer)
            if self.program.refund_policy == Program.RefundPolicy.CLAWBACK:
                assert account.balance >= 0
            lots = sum(Lot.objects.filter(wallet=account).values_list("remaining", flat=True))
            assert account.balance <= lots


@pytest.mark.django_db
def test_random_sequences_keep_the_books_balanced():
    Books.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
    Books.TestCase().runTest()
