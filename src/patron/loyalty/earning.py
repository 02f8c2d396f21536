"""How an order earns points: the program's rate and the rules in force when it was placed.

Points = floor(sum over the order's lines of line amount x points_per_unit x the line's multiplier
x the bonus-window multiplier), plus fixed bonuses; an order without lines earns on its total.
Rounding is down, once, on the order: 9.99 EUR at 1 point per euro earns 9 points. Refunds take
back floor(earned x refunded / total) in total, so partial refunds never take back more than a
full one would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef, Q, Sum
from django.utils import timezone

from patron.commerce.models import Order, OrderLine
from patron.core import sql
from patron.core.errors import Conflict
from patron.loyalty import paid, services
from patron.loyalty.models import Account, EarningRule, Membership, Movement, PaidMembership, PaidPlan, Program, Referral, Tier
from patron.loyalty.programme import reward_referral
from patron.loyalty.tiers import current_tier

ONE_BY_ONE = 50  # up to this many orders at once, each goes through award_order; more are earned in bulk
FIRST_PURCHASE = "first purchase"

@dataclass
class Score:
    points: int  # all of it, the first-purchase bonus included
    base: Decimal  # before rounding
    bonuses: list[str] = field(default_factory=list)
    first_purchase_bonus: int = 0  # earned apart from the order, once per customer (part of `points`)


class Facts:
    """What scoring an order reads besides the order and its lines, read for one order at a time.
    `BatchFacts` answers the same questions for many orders from a few reads."""

    def __init__(self, program: Program):
        self.program = program

    def rules(self, at) -> list[EarningRule]:
        # Programs read by award_order_everywhere say whether they have rules, tiers and paid plans: no query when not.
        return rules_in_force(self.program, at) if getattr(self.program, "has_rules", True) else []

    def tier(self, order: Order) -> Tier | None:
        return current_tier(self.program, order.customer) if getattr(self.program, "has_tiers", True) else None

    def plan(self, order: Order) -> PaidPlan | None:
        if not getattr(self.program, "has_paid_plans", True):
            return None
        return paid.member_plan(self.program, order.customer_id, order.placed_at)

    def first(self, order: Order) -> bool:
        """No completed order of the customer before this one."""
        return not Order.objects.filter(customer_id=order.customer_id, placed_at__lt=order.placed_at,
                                         status=Order.Status.COMPLETED).exists()


class BatchFacts(Facts):
    """The same answers for a batch of orders, each read once for all of them."""

    def __init__(self, program: Program, orders: list[Order]):
        super().__init__(program)
        customers = {o.customer_id for o in orders}
        self._rules = list(program.rules.all())
        self._tiers = {m.customer_id: m.tier for m in Membership.objects.select_related("tier")
                       .filter(program=program, customer_id__in=customers)}
        self._plans: dict[int, list] = {}
        for m in PaidMembership.objects.select_related("plan").filter(plan__program=program, customer_id__in=customers):
            self._plans.setdefault(m.customer_id, []).append(m)
        self._first = dict(Order.objects.filter(customer_id__in=customers, status=Order.Status.COMPLETED)
                           .values("customer_id").annotate(first=Min("placed_at")).values_list("customer_id", "first").order_by())

    def rules(self, at) -> list[EarningRule]:
        return [r for r in self._rules if r.valid_from <= at and (r.valid_until is None or r.valid_until > at)]

    def tier(self, order: Order) -> Tier | None:
        return self._tiers.get(order.customer_id)

    def plan(self, order: Order) -> PaidPlan | None:
        held = [m.plan for m in self._plans.get(order.customer_id, ())
                if m.joined_at <= order.placed_at and (m.ended_at is None or m.ended_at > order.placed_at)]
        return max(held, key=lambda plan: plan.earn_multiplier, default=None)

    def first(self, order: Order) -> bool:
        return self._first.get(order.customer_id) == order.placed_at


def rules_in_force(program: Program, at) -> list[EarningRule]:
    return list(program.rules.filter(Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))))


def score_order(program: Program, order: Order, lines: list[OrderLine] | None = None, facts: Facts | None = None) -> Score:
    """`lines`: the order's lines (with product and category) when the caller has them; read otherwise.
    `facts`: what else the score depends on (rules, tier, paid plan, first purchase), read for this order when not given."""
    if order.currency != program.currency:
        return Score(0, Decimal(0), [f"order in {order.currency}, program in {program.currency}"])
    facts = facts or Facts(program)
    rules = facts.rules(order.placed_at)
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
    tier = facts.tier(order)
    if tier is not None and tier.multiplier != 1:
        base *= tier.multiplier
        notes.append(f"{tier.name} x{tier.multiplier}")
    plan = facts.plan(order)
    if plan is not None and plan.earn_multiplier != 1:
        base *= plan.earn_multiplier
        notes.append(f"{plan.name} x{plan.earn_multiplier}")
    points = int(base.to_integral_value(rounding=ROUND_FLOOR))
    bonuses = [r for r in rules if r.kind == EarningRule.Kind.FIRST_PURCHASE_BONUS]
    first_bonus = sum(r.bonus_points for r in bonuses) if bonuses and facts.first(order) else 0
    if first_bonus:
        notes.append(f"{FIRST_PURCHASE} +{first_bonus}")
    return Score(points + first_bonus, base, notes, first_bonus)


def _order_reason(score: Score) -> str:
    """The order's own earning says what shaped it; the first-purchase bonus is an earning of its own."""
    return "; ".join(["order", *[note for note in score.bonuses if not note.startswith(FIRST_PURCHASE)]])


def first_purchase_reference(customer_id: int) -> str:
    """The first-purchase bonus is one earning per customer and program: the store's unique earning
    reference keeps it once, whichever of two first orders arrives first or at the same moment."""
    return f"first-purchase:{customer_id}"


def _already_earned(program: Program, reference: str) -> Movement | None:
    return Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference=reference).first()


def award_order(program: Program, order: Order, *, created: bool = False, lines: list[OrderLine] | None = None) -> Movement | None:
    """Earn the order's points once (a retry returns the first award); None when the order itself earns
    nothing. A first-purchase bonus is earned beside it, once per customer (`first_purchase_reference`).

    `created`: the order was made by the caller's transaction, so it cannot have earned yet (no lookup;
    the unique earning per order still guards it). `lines` as for score_order."""
    return _award(program, order, created, lines)[0]


def _award(program: Program, order: Order, created: bool, lines) -> tuple[Movement | None, int]:
    """award_order's work; also the points this call earned, the first-purchase bonus included."""
    existing = None if created else _already_earned(program, order.external_id)
    if existing or order.status != Order.Status.COMPLETED:
        return existing, existing.points if existing else 0
    reward_referral(program, order)  # a referred friend's first order rewards both of them, once
    score = score_order(program, order, lines)
    earned = 0
    if score.first_purchase_bonus:
        _, made = _earn_once(program, order, score.first_purchase_bonus, FIRST_PURCHASE, first_purchase_reference(order.customer_id))
        earned += score.first_purchase_bonus if made else 0
    points = score.points - score.first_purchase_bonus
    if points <= 0:
        return None, earned
    if created:  # no other transaction can award an order not yet committed: no savepoint needed
        movement = services.earn(program, order.customer, points, reason=_order_reason(score), reference=order.external_id,
                                 at=order.placed_at)
    else:
        movement, _ = _earn_once(program, order, points, _order_reason(score), order.external_id)
    return movement, earned + movement.points


def _earn_once(program: Program, order: Order, points: int, reason: str, reference: str) -> tuple[Movement, bool]:
    """The earning under `reference`, and whether this call made it (rather than one before, or one at the same moment)."""
    try:
        with transaction.atomic():
            return services.earn(program, order.customer, points, reason=reason, reference=reference, at=order.placed_at), True
    except IntegrityError:  # earned at the same moment by another transaction (or before, for the bonus)
        return _already_earned(program, reference), False


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


def award_orders(order_ids, *, batch: int = 5_000) -> int:
    """Earn the points of these orders in every program of their currency, each order once, through
    the same scoring as one order (`score_order`): the import engine and the admin call it (through
    the commerce.events hook), the API and the shop connectors too. Orders already earned, not
    completed or in another currency are passed over. Returns the orders that earned.

    A few orders go one by one (`award_order`); a batch reads what scoring needs once for all of it
    and writes the ledger in bulk, so an imported history of millions of orders earns in minutes."""
    ids = sorted({int(i) for i in order_ids})
    done = 0
    for program in Program.objects.order_by("pk"):
        for start in range(0, len(ids), batch):
            done += _award_batch(program, list(_unearned(program).filter(id__in=ids[start:start + batch])))
    return done


def award_history(program: Program, batch: int = 5_000) -> int:
    """Earn the points of every completed order in the program's currency that has none yet (an imported
    history, or orders from before the program began), scored as `award_orders` scores them. Returns
    the orders that earned. Each batch is one transaction."""
    done, last_id = 0, 0
    while orders := list(_unearned(program).filter(id__gt=last_id)[:batch]):
        last_id = orders[-1].pk
        with transaction.atomic():
            done += _award_batch(program, orders)
    return done


def _unearned(program: Program):
    """Completed orders in the program's currency that have not earned in it yet, by id, with their customer."""
    earned = Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference=OuterRef("external_id"))
    return (Order.objects.select_related("customer").filter(status=Order.Status.COMPLETED, currency=program.currency)
            .exclude(Exists(earned)).order_by("id"))


def _award_batch(program: Program, orders: list[Order]) -> int:
    """A few orders one by one, more in bulk; the orders that earned."""
    if len(orders) > ONE_BY_ONE:
        return _award_in_bulk(program, orders)
    return sum(1 for order in orders if award_order(program, order) is not None)


def _award_in_bulk(program: Program, orders: list[Order]) -> int:
    """Score each order as award_order would, from facts read once, and write the earnings set-wise.
    Customers with a referral to reward or refunded points to claw back take the one-by-one way."""
    customers = {o.customer_id for o in orders}
    special = set(Referral.objects.filter(program=program, friend_id__in=customers, rewarded_at__isnull=True)
                  .values_list("friend_id", flat=True))
    special |= set(Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer_id__in=customers, owed__gt=0)
                   .values_list("customer_id", flat=True))
    done = sum(1 for o in orders if o.customer_id in special and award_order(program, o) is not None)
    orders = [o for o in orders if o.customer_id not in special]
    lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.select_related("product__category").filter(order_id__in=[o.pk for o in orders]):
        lines.setdefault(line.order_id, []).append(line)
    facts = BatchFacts(program, orders)
    bonus_given = set(Movement.objects.filter(program=program, kind=Movement.Kind.EARN, reference__in=[
        first_purchase_reference(c) for c in customers]).values_list("customer_id", flat=True))
    earnings = []  # (customer_id, points, reason, reference, at)
    for order in orders:
        score = score_order(program, order, lines.get(order.pk, []), facts)
        if score.first_purchase_bonus and order.customer_id not in bonus_given:
            bonus_given.add(order.customer_id)
            earnings.append((order.customer_id, score.first_purchase_bonus, FIRST_PURCHASE,
                             first_purchase_reference(order.customer_id), order.placed_at))
        points = score.points - score.first_purchase_bonus
        if points > 0:
            earnings.append((order.customer_id, points, _order_reason(score), order.external_id, order.placed_at))
            done += 1
    services.earn_many(program, earnings)
    return done


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
    return sum(_award(p, order, created, lines)[1] for p in programs)


# Whether each program has paid plans, rules and tiers: when not, scoring an order skips their reads.
_PROGRAM_HAS = tuple((name, f"EXISTS (SELECT 1 FROM {model._meta.db_table} x WHERE x.program_id = {Program._meta.db_table}.id)")
                     for name, model in (("has_paid_plans", PaidPlan), ("has_rules", EarningRule), ("has_tiers", Tier)))


def reverse_refunds_everywhere(order: Order) -> int:
    """Take back the refunded share of the order's points in every program of its currency; the points taken back."""
    return sum(-m.points for m in (reverse_refunds(p, order) for p in Program.objects.filter(currency=order.currency)) if m is not None)
