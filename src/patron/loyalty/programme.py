"""Referrals, birthday bonuses, expiry reminders and the liability: the program around the ledger."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from patron.commerce.models import Order
from patron.core.errors import ReferralRefused
from patron.customers.models import Customer
from patron.loyalty import services
from patron.loyalty.models import EarningRule, ExpiryNotice, Lot, Program, Referral, ReferralCode
from patron.loyalty.services import COUPON_ALPHABET


def referral_code(program: Program, customer: Customer) -> str:
    existing = ReferralCode.objects.filter(program=program, customer=customer).values_list("code", flat=True).first()
    if existing:
        return existing
    for _ in range(5):
        code = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(program=program, customer=customer, code=code).code
        except IntegrityError:
            existing = ReferralCode.objects.filter(program=program, customer=customer).values_list("code", flat=True).first()
            if existing:
                return existing
    raise RuntimeError("could not draw a free referral code")


def refer_by_code(friend: Customer, code: str, *, at: dt.datetime | None = None) -> Referral:
    """`refer` in whichever program the code belongs to (codes are unique across programs)."""
    owner = ReferralCode.objects.select_related("program").filter(code=(code or "").strip().upper()).first()
    if owner is None:
        raise ReferralRefused(f"no referral code {code!r}", field="referral_code", reason="unknown_code")
    return refer(owner.program, friend, owner.code, at=at)


@transaction.atomic
def refer(program: Program, friend: Customer, code: str, *, at: dt.datetime | None = None) -> Referral:
    """Record that `friend` came with `code`; refused for oneself, twice, in a loop, or for an existing customer."""
    owner = ReferralCode.objects.select_related("customer").filter(program=program, code=(code or "").strip().upper()).first()
    if owner is None:
        raise ReferralRefused(f"no referral code {code!r}", field="code", reason="unknown_code")
    referrer = owner.customer
    if referrer.pk == friend.pk:
        raise ReferralRefused("a customer cannot refer themselves", reason="self")
    if Referral.objects.filter(program=program, friend=friend).exists():
        raise ReferralRefused("this customer was already referred", reason="already_referred")
    chain, seen = referrer, {friend.pk}
    while True:  # the referrer's own referrers must not lead back to the friend
        if chain.pk in seen:
            raise ReferralRefused("that referral would close a loop", reason="loop")
        seen.add(chain.pk)
        up = Referral.objects.filter(program=program, friend=chain).select_related("referrer").first()
        if up is None:
            break
        chain = up.referrer
    if Order.objects.filter(customer=friend, status=Order.Status.COMPLETED).exists():
        raise ReferralRefused("only a new customer can be referred", reason="not_new")
    return Referral.objects.create(program=program, referrer=referrer, friend=friend, created_at=at or timezone.now())


def reward_referral(program: Program, order: Order) -> Referral | None:
    """On the friend's first completed order, once: the referrer's and the friend's bonuses."""
    if order.status != Order.Status.COMPLETED or not (program.referrer_bonus or program.friend_bonus):
        return None  # (a program without referral bonuses has nothing to give: no query)
    referral = Referral.objects.filter(program=program, friend=order.customer, rewarded_at__isnull=True).first()
    if referral is None:
        return None
    with transaction.atomic():
        if not Referral.objects.filter(pk=referral.pk, rewarded_at__isnull=True).update(rewarded_at=order.placed_at):
            return None  # rewarded by another transaction meanwhile
        if program.referrer_bonus:
            services.earn(program, referral.referrer, program.referrer_bonus, reason="referral: a friend's first order",
                          reference=f"referral:{referral.pk}:referrer", at=order.placed_at)
        if program.friend_bonus:
            services.earn(program, referral.friend, program.friend_bonus, reason="welcome: referred by a friend",
                          reference=f"referral:{referral.pk}:friend", at=order.placed_at)
    return referral


def _rule_in_force(program: Program, kind: str, at: dt.datetime) -> EarningRule | None:
    return program.rules.filter(Q(kind=kind) & Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))).first()


def feedback_bonus(customer: Customer, *, reference: str, at: dt.datetime) -> int:
    """The feedback bonus in force at `at`, from every program that has one, for one survey answer
    (`reference` names it, so the same answer never earns twice). Returns the points given."""
    given = 0
    for program in Program.objects.filter(rules__kind=EarningRule.Kind.FEEDBACK_BONUS).distinct():
        rule = _rule_in_force(program, EarningRule.Kind.FEEDBACK_BONUS, at)
        if rule is None or not rule.bonus_points:
            continue
        try:
            with transaction.atomic():
                services.earn(program, customer, rule.bonus_points, reason="thank you for your feedback", reference=reference, at=at)
                given += rule.bonus_points
        except IntegrityError:
            pass  # this answer already earned it (the earning's reference is unique)
    return given


def birthday_bonuses(program: Program, today: dt.date) -> int:
    """Give each customer born on this day the birthday bonus in force, once a year; returns how many."""
    at = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    rule = _rule_in_force(program, EarningRule.Kind.BIRTHDAY_BONUS, at)
    if rule is None or not rule.bonus_points:
        return 0
    given = 0
    born = Customer.objects.filter(birth_date__month=today.month, birth_date__day=today.day, erased_at__isnull=True)
    for customer in born.iterator():
        try:
            with transaction.atomic():
                services.earn(program, customer, rule.bonus_points, reason="happy birthday", reference=f"birthday:{customer.pk}:{today.year}", at=at)
                given += 1
        except IntegrityError:
            pass  # already given this year (the earning's reference is unique)
    return given


def expiry_notices(program: Program, now: dt.datetime | None = None) -> int:
    """A notice for every lot that expires within the program's reminder days and has none yet."""
    now = now or timezone.now()
    due = (Lot.objects.filter(wallet__program=program, remaining__gt=0, expires_at__gt=now,
                              expires_at__lte=now + dt.timedelta(days=program.expiry_reminder_days), notice__isnull=True)
           .select_related("wallet"))
    made = [ExpiryNotice(lot=lot, customer_id=lot.wallet.customer_id, points=lot.remaining, expires_at=lot.expires_at, created_at=now)
            for lot in due]
    ExpiryNotice.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


@dataclass
class Liability:
    outstanding_points: int  # held in wallets (negative balances count as zero)
    value: Decimal  # what they would cost if all were redeemed
    expiring: dict[int, int]  # points expiring within 30, 90, 365 days


def liability(program: Program, now: dt.datetime | None = None) -> Liability:
    now = now or timezone.now()
    held = program.accounts.filter(kind="wallet", balance__gt=0).aggregate(s=Sum("balance"))["s"] or 0
    expiring = {}
    for days in (30, 90, 365):
        expiring[days] = Lot.objects.filter(wallet__program=program, remaining__gt=0,
                                            expires_at__lte=now + dt.timedelta(days=days)).aggregate(s=Sum("remaining"))["s"] or 0
    return Liability(held, (Decimal(held) * Decimal(str(program.point_value))).quantize(Decimal("0.01")), expiring)


