"""A journey's variants: versions of it that its treated entrants are split between at random, to learn which works.

A send step may name other messages (`"variants": ["winback_b"]`: another subject, another text) and a coupon step
other rewards (`"variants": ["gift_10_percent"]`: another coupon value). Variant A is the steps as they are, B each
step's first alternative, and so on; a step without alternatives does the same for every variant. Every step that
has alternatives has the same number, so a variant is one whole version of the journey.

The split is drawn with the holdout, by a second hash of the customer's id and the journey's salt: random across
customers, the same for a customer every time, and independent of who is held out. Each variant's conversion and
revenue per recipient are compared by the pooled model (analytics.pooled), each variant's months being cells of one
pool; the winner, chosen by a person or automatically past the journey's probability and minimum, is what every
treated entrant gets from then on.
"""

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from patron.analytics import pooled
from patron.campaigns.models import Journey, Step
from patron.core import audit, sql
from patron.core.errors import InvalidInput, JourneyNotReady

LETTERS = "ABC"  # more variants than three split a small shop's list too thin to learn from
MAX_VARIANTS = len(LETTERS)
HASH_MULTIPLIER = 40503  # another multiplier than the holdout's, so the two splits do not line up
HASH_MODULUS = 1000003
VARIED = {Step.Action.SEND: "template", Step.Action.COUPON: "reward"}  # the setting a variant changes


def alternatives(step: Step) -> list[str]:
    """The other messages of a send step, or the other rewards of a coupon step."""
    return list((step.config or {}).get("variants") or []) if step.action in VARIED else []


def versions(step: Step) -> list[str]:
    """What a send or coupon step gives each variant, A first: its message (or reward), then its alternatives."""
    own = (step.config or {}).get(VARIED.get(step.action, ""), "")
    return [own, *alternatives(step)]


def count(steps: list[Step]) -> int:
    """How many variants the journey's steps make (1: no test)."""
    return 1 + max((len(alternatives(step)) for step in steps), default=0)


def check(journey: Journey, steps: list[Step]) -> None:
    """Raise JourneyNotReady when the steps' variants do not make whole versions of the journey."""
    lengths = set()
    for step in steps:
        given = (step.config or {}).get("variants")
        if given is None:
            continue
        if step.action not in VARIED:
            raise JourneyNotReady(f"journey {journey.key}: step {step.position} cannot have variants (only a message or a coupon)")
        if not isinstance(given, list) or not all(isinstance(v, str) and v for v in given):
            raise JourneyNotReady(f"journey {journey.key}: step {step.position}'s variants are a list of names")
        if given:
            lengths.add(len(given))
    if len(lengths) > 1:
        raise JourneyNotReady(f"journey {journey.key}: every step with variants needs the same number of them")
    if lengths and max(lengths) + 1 > MAX_VARIANTS:
        raise JourneyNotReady(f"journey {journey.key}: at most {MAX_VARIANTS} variants ({', '.join(LETTERS)})")


def by_variant(values: list[str]) -> tuple[str, list]:
    """SQL choosing, by the enrollment `e`'s variant, one of `values` (variant A's first), and its parameters."""
    if len(values) == 1:
        return "%s", list(values)
    return ("CASE e.variant " + " ".join("WHEN %s THEN %s" for _ in values[1:]) + " ELSE %s END",
            [p for i, value in enumerate(values[1:], start=1) for p in (i, value)] + [values[0]])


def assignment(journey: Journey, steps: list[Step]) -> tuple[str, list]:
    """SQL (over the trigger's rows `t`) for a treated entrant's variant, and its parameters: the winner once there is
    one, else a random one of the journey's variants."""
    n = count(steps)
    if journey.winner is not None and journey.winner < n:
        return "%s", [journey.winner]
    if n == 1:
        return "0", []
    return sql.modulo(sql.modulo(f"t.customer_id * {HASH_MULTIPLIER} + %s", str(HASH_MODULUS)), str(n)), [journey.salt]


def letter(variant: int | None) -> str:
    return "" if variant is None else LETTERS[variant]


def report(journey: Journey, frame, now: dt.datetime, *, seed: int = 0) -> dict | None:
    """Each variant's recipients, conversion and revenue per recipient, and the pooled comparison (the probability
    each is the best, the expected loss of choosing it), from the journey's outcomes `frame` (reports.outcomes). The
    entrants after a winner was chosen all got it, so they are left out. None when the journey has no variants."""
    n = count(list(journey.steps.all()))
    if n == 1:
        return None
    treated = frame[(frame["arm"] == "treated") & frame["variant"].notna()]
    treated = treated[treated["variant"] < n]  # entrants of an earlier test with more variants than the steps now have
    if journey.winner_at is not None:
        treated = treated[treated["entered_at"] <= journey.winner_at]
    months = treated["entered_at"].dt.strftime("%Y-%m")
    cells, spend, combine = {}, {}, {name: [] for name in LETTERS[:n]}
    for (variant, month), group in treated.groupby([treated["variant"].astype(int), months]):
        cell = f"{LETTERS[variant]} {month}"
        cells[cell] = (len(group), int(group["converted"].sum()))
        paid = group.loc[group["converted"] & (group["revenue"] > 0), "revenue"].to_numpy(float)
        spend[cell] = paid
        combine[LETTERS[variant]].append(cell)
    rows = []
    for i, name in enumerate(LETTERS[:n]):
        mine = treated[treated["variant"] == i]
        rows.append({"variant": name, "recipients": len(mine), "converted": int(mine["converted"].sum()),
                     "conversion": float(mine["converted"].mean()) if len(mine) else None,
                     "revenue_per_recipient": round(float(mine["revenue"].mean()), 2) if len(mine) else None})
    out = {"variants": rows, "winner": letter(journey.winner), "winner_at": journey.winner_at.isoformat() if journey.winner_at else None,
           "auto_winner": journey.auto_winner, "probability": float(journey.winner_probability), "minimum": journey.winner_minimum}
    ranked = [name for name in LETTERS[:n] if combine[name]]
    if len(ranked) == n:
        result = pooled.compare([cells], [], spend={cell: v for cell, v in spend.items() if len(v)},
                                combine=combine, rank=ranked, seed=seed)
        for row in rows:
            row.update(result["best"][row["variant"]])
            row["revenue_estimate"] = result["rates"][row["variant"]].get("revenue_per_recipient")
        out["ready"] = pooled.winner(result, threshold=float(journey.winner_probability), minimum=journey.winner_minimum)
    return out


def choose(journey: Journey, name: str, *, actor=None, now: dt.datetime | None = None, evidence: dict | None = None) -> Journey:
    """Make variant `name` (A, B...) the one every treated entrant gets from now on; recorded in the audit log."""
    n = count(list(journey.steps.all()))
    if n == 1:
        raise InvalidInput(f"journey {journey.key} has no variants", field="variant")
    name = (name or "").strip().upper()
    if len(name) != 1 or name not in LETTERS[:n]:
        raise InvalidInput(f"journey {journey.key} has variants {', '.join(LETTERS[:n])}, not {name!r}", field="variant")
    now = now or timezone.now()
    with transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(winner=LETTERS.index(name), winner_at=now)
        detail = {"variant": name}
        if evidence:
            best = {row["variant"]: round(row.get("probability_best", np.nan), 3) for row in evidence["variants"]}
            detail |= {"probability_best": best, "recipients": {row["variant"]: row["recipients"] for row in evidence["variants"]}}
        audit.record(actor, audit.JOURNEY_WINNER, f"journey:{journey.key}", **detail)
    journey.refresh_from_db()
    return journey
