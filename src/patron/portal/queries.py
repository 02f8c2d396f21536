"""What the portal shows, always for the signed-in customer passed in: nothing here takes an id
from the request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone, translation

from patron.customers.models import Customer
from patron.feedback import services as feedback
from patron.feedback import tokens as survey_tokens
from patron.feedback.models import Idea, Response
from patron.loyalty import paid, programme, tiers
from patron.loyalty.models import Account, Coupon, Lot, Movement, Program, Reward, Tier
from patron.loyalty.queries import available_rewards
from patron.messaging import content
from patron.messaging.models import Message

EXPIRING_DAYS = 30
OUT_OF_REACH = 3  # how many rewards "just out of reach" to show


@dataclass
class Standing:
    program: Program
    balance: int
    expiring_points: int
    expiring_first: dt.datetime | None
    tier: Tier | None
    pending: Tier | None  # qualified for, given by the next daily run
    next_tier: Tier | None
    qualifying: Decimal
    to_next: Decimal  # points (or money) still missing for the next tier
    progress: int  # percent of the way from the current tier's threshold to the next one's
    plan: object | None  # the paid plan whose perks apply
    affordable: list = field(default_factory=list)
    out_of_reach: list = field(default_factory=list)  # (reward, points missing)
    locked: list = field(default_factory=list)  # (reward, what opens it: a tier's name or a plan)


def programs_for(customer: Customer) -> list[Program]:
    """The programs a customer is shown: those of the currency they buy in, and any they hold points in (a customer
    without orders yet sees them all). A lari buyer is not shown a euro program's rewards and prices."""
    currency = paid.customer_currency(customer)
    held = set(Account.objects.filter(customer=customer, kind=Account.Kind.WALLET).values_list("program_id", flat=True))
    return [p for p in Program.objects.order_by("name") if currency is None or p.currency == currency or p.pk in held]


def standing(customer: Customer, now: dt.datetime | None = None) -> list[Standing]:
    now = now or timezone.now()
    rewards = list(available_rewards(now).select_related("min_tier"))
    out = []
    for program in programs_for(customer):
        balance = (Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer=customer)
                   .values_list("balance", flat=True).first() or 0)
        soon = (Lot.objects.filter(wallet__program=program, wallet__customer=customer, remaining__gt=0,
                                   expires_at__lte=now + dt.timedelta(days=EXPIRING_DAYS))
                .aggregate(points=Sum("remaining"), first=Min("expires_at")))
        ladder = list(program.tiers.order_by("rank"))
        tier = tiers.current_tier(program, customer)
        qualifying = tiers.qualifying_values(program, now, customer).get(customer.pk, Decimal(0))
        held_rank = tier.rank if tier else -1
        reached = tiers.tier_for(ladder, qualifying)
        pending = reached if reached is not None and reached.rank > held_rank else None  # the daily run will upgrade
        next_tier = next((t for t in ladder if t.rank > held_rank and t.threshold > qualifying), None)
        floor = max([t.threshold for t in (tier, pending) if t is not None], default=Decimal(0))
        to_next = next_tier.threshold - qualifying if next_tier else Decimal(0)
        span = next_tier.threshold - floor if next_tier else Decimal(0)
        progress = int(max(0, min(100, (qualifying - floor) * 100 / span))) if span > 0 else 100
        plan = paid.perks(program, customer)
        row = Standing(program, balance, soon["points"] or 0, soon["first"], tier, pending, next_tier, qualifying, to_next, progress, plan)
        for reward in (r for r in rewards if r.program_id == program.pk):
            if reward.min_tier_id and (tier is None or tier.rank < reward.min_tier.rank):
                row.locked.append((reward, reward.min_tier.name_in(translation.get_language() or "en")))
            elif reward.members_only and plan is None:
                row.locked.append((reward, ""))
            elif reward.stock == 0:
                continue
            elif reward.cost <= balance:
                row.affordable.append(reward)
            elif len(row.out_of_reach) < OUT_OF_REACH:
                row.out_of_reach.append((reward, reward.cost - balance))
        out.append(row)
    return out


def reward_for(reward_id) -> Reward | None:
    """A reward of the catalogue open now (the catalogue is public: no customer needed), or None."""
    try:
        return available_rewards().select_related("min_tier").filter(pk=int(reward_id)).first()
    except (TypeError, ValueError):
        return None


def wallet(customer: Customer, now: dt.datetime | None = None) -> dict:
    """The customer's coupons: ready to use, then used or expired."""
    now = now or timezone.now()
    coupons = list(Coupon.objects.select_related("reward").filter(customer=customer).order_by("-issued_at", "-pk")[:200])
    ready = [c for c in coupons if c.used_at is None and (c.expires_at is None or c.expires_at > now)]
    done = [c for c in coupons if c not in ready]
    return {"ready": ready, "done": done}


PAGE = 25


def history(customer: Customer, before: int | None = None) -> tuple[list[Movement], int | None]:
    """Points movements, newest first, a page at a time (keyset on the id); and the id to continue before."""
    rows = Movement.objects.select_related("program").filter(customer=customer)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[:PAGE + 1])
    return page[:PAGE], (page[PAGE - 1].pk if len(page) > PAGE else None)


def referral(customer: Customer) -> list[dict]:
    """Per program with a referral bonus: the customer's code, link and what the friends brought."""
    out = []
    for program in Program.objects.order_by("name"):
        if not (program.referrer_bonus or program.friend_bonus):
            continue
        code = programme.referral_code(program, customer)
        template = settings.PATRON_REFERRAL_URL
        friends = program.referrals.filter(referrer=customer)
        out.append({"program": program, "code": code, "url": template.replace("{code}", code) if template else "",
                    "friends": friends.count(), "rewarded": friends.filter(rewarded_at__isnull=False).count()})
    return out


SURVEY_DAYS = survey_tokens.MAX_AGE_DAYS


def surveys(customer: Customer, now: dt.datetime | None = None) -> list[dict]:
    """Surveys sent to the customer they have not answered (while their links still work); if none, and
    they have not said how likely they are to recommend the shop lately, a fresh NPS survey."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=SURVEY_DAYS)
    kinds = {key: content.builtin(key).get("survey") for key in content.builtin_keys()}
    survey_keys = [k for k, kind in kinds.items() if kind]
    sent = list(Message.objects.filter(customer=customer, template__in=survey_keys, status=Message.Status.SENT, sent_at__gte=since)
                .order_by("-sent_at"))
    answered = set(Response.objects.filter(customer=customer, ref__in=[survey_tokens.message_ref(m.pk) for m in sent])
                   .values_list("ref", flat=True))
    out = [{"kind": kinds[m.template], "asked_at": m.sent_at,
            "url": survey_tokens.url(customer.pk, kinds[m.template], survey_tokens.message_ref(m.pk))}
           for m in sent if survey_tokens.message_ref(m.pk) not in answered]
    if not out and not Response.objects.filter(customer=customer, kind="nps", answered_at__gte=since).exists():
        ask = feedback.open_portal_ask(customer, "nps", now=now)
        out.append({"kind": ask.kind, "asked_at": None, "url": survey_tokens.url(customer.pk, ask.kind, ask.ref)})
    return out


def ideas(customer: Customer) -> list[dict]:
    """The ideas the customer asked for (in a survey comment staff linked to one), with their status."""
    rows = (Response.objects.select_related("idea").filter(customer=customer, idea__isnull=False)
            .order_by("-answered_at"))
    seen, out = set(), []
    for response in rows:
        if response.idea_id in seen:
            continue
        seen.add(response.idea_id)
        out.append({"idea": response.idea, "comment": response.comment, "asked_at": response.answered_at,
                    "shipped": response.idea.status == Idea.Status.IMPLEMENTED})
    return out
