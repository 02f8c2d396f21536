"""How an order earns points: the program's rate and the rules in force when it was placed.

Points = floor(sum over the order's lines of line amount x points_per_unit x the line's multiplier
x the bonus-window multiplier), plus fixed bonuses; an order without lines earns on its total.
Rounding is down, once, on the order: 9.99 EUR at 1 point per euro earns 9 points. Refunds take
back floor(earned x refunded / total) in total, so partial refunds never take back more than a
full one would.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from patron.commerce.models import Order, OrderLine
from patron.core import sql
from patron.core.errors import Conflict
from patron.loyalty import paid, services
from patron.loyalty.models import Account, EarningRule, Entry, Lot, Movement, PaidPlan, Program, Tier
from patron.loyalty.programme import reward_referral
from patron.loyalty.tiers import current_tier


@dataclass
class Score:
    points: int
    base: Decimal  # before rounding
    bonuses: list[str] = field(default_factory=list)


def rules_in_force(program: Program, at) -> list[EarningRule]:
    return list(program.rules.filter(Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))))


def score_order(program: Program, order: Order, lines: list[OrderLine] | None = None) -> Score:
    """`lines`: the order's lines (with product and category) when the caller has them; read otherwise."""
    if order.currency != program.currency:
        return Score(0, Decimal(0), [f"order in {order.currency}, program in {program.currency}"])
    # Programs read by award_order_everywhere say whether they have rules, tiers and paid plans: no query when not.
    rules = rules_in_force(program, order.placed_at) if getattr(program, "has_rules", True) else []
    by_category = {r.target: r.multiplier for r in rules if r.kind == EarningRule.Kind.CATEGORY_MULTIPLIER}
    by_product = {r.target: r.multiplier for r in rules if r.kind == EarningRule.Kind.PRODUCT_MULTIPLIER}
    window = Decimal(1)
    notes = []
    for rule in rules:
        days = {int(d) for d in rule.weekdays.split(",") if d.strip()} if rule.weekdays else set()
        if rule.kind == EarningRule.Kind.BONUS_WINDOW and (not days or order.placed_at.isoweekday() in days):
            window *= rule.multiplier
            notes.append(f"bonus window x{rule.multiplier}")
    rate = Decimal(program.points_per_unit)
    if lines is None:
        lines = list(order.lines.select_related("product__category"))
    if lines:
        base = Decimal(0)
        for line in lines:
            multiplier = by_product.get(line.product.sku) or (by_category.get(line.product.category.name) if line.product.category else None) or 1
            base += line.amount * rate * Decimal(multiplier)
    else:
        base = order.total * rate
    base *= window
    tier = current_tier(program, order.customer) if getattr(program, "has_tiers", True) else None
    if tier is not None and tier.multiplier != 1:
        base *= tier.multiplier
        notes.append(f"{tier.name} x{tier.multiplier}")
    plan = paid.member_plan(program, order.customer_id, order.placed_at) if getattr(program, "has_paid_plans", True) else None
    if plan is not None and plan.earn_multiplier != 1:
        base *= plan.earn_multiplier
        notes.append(f"{plan.name} x{plan.earn_multiplier}")
    points = int(base.to_integral_value(rounding=ROUND_FLOOR))
    bonuses = [r for r in rules if r.kind == EarningRule.Kind.FIRST_PURCHASE_BONUS]
    first = bool(bonuses) and not Order.objects.filter(customer=order.customer, placed_at__lt=order.placed_at,
                                                       status=Order.Status.COMPLETED).exists()
    for rule in bonuses:
        if first:
            points += rule.bonus_points
            notes.append(f"first purchase +{rule.bonus_points}")
    return Score(points, base, notes)


def award_order(program: Program, order: Order, *, created: bool = False, lines: list[OrderLine] | None = None) -> Movement | None:
    """Earn the order's points once (a retry returns the first award); None when it earns nothing.

    `created`: the order was made by the caller's transaction, so it cannot have earned yet (no lookup;
    the unique earning per order still guards it). `lines` as for score_order."""
    existing = None if created else Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference=order.external_id).first()
    if existing or order.status != Order.Status.COMPLETED:
        return existing
    reward_referral(program, order)  # a referred friend's first order rewards both of them, once
    score = score_order(program, order, lines)
    if score.points <= 0:
        return None
    earn = functools.partial(services.earn, program, order.customer, score.points, reason="; ".join(["order", *score.bonuses]),
                             reference=order.external_id, at=order.placed_at)
    if created:  # no other transaction can award an order not yet committed: no savepoint needed
        return earn()
    try:
        with transaction.atomic():
            return earn()
    except IntegrityError:  # awarded at the same moment by another transaction
        return Movement.objects.get(program=program, kind=Movement.Kind.EARN, reference=order.external_id)


def reverse_refunds(program: Program, order: Order) -> Movement | None:
    """Bring the points taken back for this order up to floor(earned x refunded / total)."""
    earned = Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference=order.external_id).first()
    if earned is None or order.total <= 0:
        return None
    refunded = order.refunds.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    due = int((Decimal(earned.points) * refunded / order.total).to_integral_value(rounding=ROUND_FLOOR))
    taken = -(Movement.objects.filter(program=program, kind=Movement.Kind.REVERSE, reference=order.external_id,
                                      reason__startswith="refund").aggregate(s=Sum("points"))["s"] or 0)
    owed_before = due - taken
    if owed_before <= 0:
        return None
    return services.reverse(program, order.customer, owed_before, reason=f"refund of order {order.external_id}",
                            reference=order.external_id)


def award_history(program: Program, batch: int = 20_000) -> int:
    """Earn the points of every completed order in the program's currency that has none yet, set-wise
    (an imported history of millions of orders). History is scored at the program's base rate,
    rounded down per order; rules, tiers and referrals apply to orders as they arrive. Returns the
    orders awarded. Each batch is one transaction."""
    liability = services.system_account(program, Account.Kind.LIABILITY)
    awarded = Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference=OuterRef("external_id"))
    pending = (Order.objects.filter(status=Order.Status.COMPLETED, currency=program.currency)
               .exclude(Exists(awarded)).order_by("id"))
    rate = Decimal(program.points_per_unit)
    done = 0
    last_id = 0
    while True:
        orders = list(pending.filter(id__gt=last_id).values_list("id", "external_id", "customer_id", "placed_at", "total")[:batch])
        if not orders:
            return done
        last_id = orders[-1][0]
        rows = [(ext, customer, at, int((total * rate).to_integral_value(rounding=ROUND_FLOOR))) for _, ext, customer, at, total in orders]
        rows = [row for row in rows if row[3] > 0]
        with transaction.atomic():
            customers = {customer for _, customer, _, _ in rows}
            Account.objects.bulk_create([Account(program=program, kind=Account.Kind.WALLET, customer_id=c) for c in customers],
                                        ignore_conflicts=True)
            wallets = dict(Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer_id__in=customers)
                           .values_list("customer_id", "pk"))
            movements = Movement.objects.bulk_create([
                Movement(program=program, kind=Movement.Kind.EARN, customer_id=customer, points=points, reason="order (history)",
                         reference=ext, created_at=at) for ext, customer, at, points in rows])
            expiry = dt.timedelta(days=program.expiry_days) if program.expiry_days else None
            lots = Lot.objects.bulk_create([
                Lot(wallet_id=wallets[m.customer_id], movement=m, points=m.points, remaining=m.points, earned_at=m.created_at,
                    expires_at=m.created_at + expiry if expiry else None) for m in movements])
            Entry.objects.bulk_create([Entry(movement=m, debit=liability, credit_id=lot.wallet_id, points=m.points, lot=lot)
                                       for m, lot in zip(movements, lots)])
            per_wallet: dict[int, int] = {}
            for lot in lots:
                per_wallet[lot.wallet_id] = per_wallet.get(lot.wallet_id, 0) + lot.points
            services.add_to_wallet_balances(per_wallet)
        done += len(rows)


@transaction.atomic
def revise_rule(rule: EarningRule, changes: dict, *, at=None) -> EarningRule:
    """Change a rule from `at` on: the old version closes, a new one opens, so past orders keep their score."""
    at = at or timezone.now()
    old = EarningRule.objects.select_for_update().get(pk=rule.pk)
    if old.valid_until is not None and old.valid_until <= at:
        raise Conflict("this rule version has already ended; change the one in force")
    fields = {f.name: getattr(old, f.name) for f in EarningRule._meta.concrete_fields if f.name not in ("id",)}
    fields.update(changes, valid_from=max(at, old.valid_from), valid_until=old.valid_until)
    if old.valid_from >= at:  # not in force yet: no order was scored by it, so it can change in place
        for name, value in changes.items():
            setattr(old, name, value)
        old.save()
        return old
    old.valid_until = at
    old.save(update_fields=["valid_until"])
    return EarningRule.objects.create(**{k: v for k, v in fields.items() if k != "program"}, program=old.program)


def award_order_everywhere(order: Order, *, created: bool = False, lines: list[OrderLine] | None = None) -> int:
    """Award the order in every program of its currency; the points earned in all of them (arguments as for award_order)."""
    programs = sql.select(Program, "currency = %s", [order.currency], extra=_PROGRAM_HAS, memo=True)  # every order: memoised
    return sum(m.points for m in (award_order(p, order, created=created, lines=lines) for p in programs) if m is not None)


# Whether each program has paid plans, rules and tiers: when not, scoring an order skips their reads.
_PROGRAM_HAS = tuple((name, f"EXISTS (SELECT 1 FROM {model._meta.db_table} x WHERE x.program_id = {Program._meta.db_table}.id)")
                     for name, model in (("has_paid_plans", PaidPlan), ("has_rules", EarningRule), ("has_tiers", Tier)))


def reverse_refunds_everywhere(order: Order) -> int:
    """Take back the refunded share of the order's points in every program of its currency; the points taken back."""
    return sum(-m.points for m in (reverse_refunds(p, order) for p in Program.objects.filter(currency=order.currency)) if m is not None)
