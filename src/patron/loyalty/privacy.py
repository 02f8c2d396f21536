"""What loyalty exports and erases for one customer (registered in LoyaltyConfig.ready).

The ledger stays whole (its sums must still balance), so an erasure takes the person out of the
reasons written on their movements and coupons, and changes no points."""

from patron.customers.privacy import Person, erases, exports
from patron.loyalty.models import Account, Coupon, Movement


@exports("points")
def points(customer) -> list[dict]:
    wallets = Account.objects.filter(customer=customer, kind=Account.Kind.WALLET).select_related("program")
    return [{"program": w.program.name, "balance": w.balance} for w in wallets.order_by("program__name")]


@exports("ledger")
def ledger(customer) -> list[dict]:
    return list(Movement.objects.filter(customer=customer).order_by("created_at", "pk")
                .values("program__name", "kind", "points", "reason", "reference", "created_at"))


@exports("coupons")
def coupons(customer) -> list[dict]:
    return list(Coupon.objects.filter(customer=customer).order_by("issued_at")
                .values("code", "reward__name", "reason", "issued_at", "expires_at", "used_at", "used_reference"))


@exports("tiers")
def tiers(customer) -> dict:
    return {
        "memberships": list(customer.memberships.order_by("program__name").values("program__name", "tier__name", "since",
                                                                                     "below_since")),
        "changes": list(customer.tier_events.order_by("pk").values()),
    }


@exports("paid_memberships")
def paid_memberships(customer) -> list[dict]:
    return [
        {"plan": m.plan.name, "status": m.status, "joined_at": m.joined_at, "cancelled_at": m.cancelled_at, "ended_at": m.ended_at,
         "periods": list(m.periods.order_by("number").values("number", "starts_at", "ends_at", "fee"))}
        for m in customer.paid_memberships.select_related("plan").order_by("joined_at")
    ]


@exports("referrals")
def referrals(customer) -> dict:
    return {"codes": list(customer.referral_codes.values("code")),
            "friends_invited": customer.referrals_made.count(),
            "invited_by_a_friend": customer.referred_by.exists()}


@erases
def erase(customer, person: Person) -> None:
    for model in (Movement, Coupon):
        for pk, reason in model.objects.filter(customer=customer).exclude(reason="").values_list("pk", "reason"):
            if person.mentioned_in(reason):
                model.objects.filter(pk=pk).update(reason=person.scrub(reason))
