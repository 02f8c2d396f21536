"""A journey as the designer page builds it: its trigger and settings, who may enter, its steps and how it is
measured, checked whole and saved in one transaction, with the change in the audit log."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify

from patron.campaigns import services
from patron.campaigns.builtin import GIFT_REWARDS
from patron.campaigns.models import Journey, Step, Trigger
from patron.core import audit
from patron.core.errors import InvalidInput, InvalidSegment
from patron.customers.models import Customer, Interaction
from patron.loyalty.models import Program, Reward
from patron.messaging import content
from patron.messaging.models import MessageTemplate
from patron.segments.models import Segment
from patron.segments.rules import compile_rules
from patron.segments.services import count as count_rules

# Interaction kinds Patron itself writes on the timeline, which an interaction trigger may start on.
KNOWN_KINDS = ("complaint_resolved", "ticket_resolved", "nps_detractor", "suggestion_implemented", "checkout_started",
               "added_to_cart", "product_viewed")
STOP_ON = ("order", "added_to_cart", "checkout_started")
MAX_HOLDOUT = Decimal("0.5")
MAX_CONVERSION_DAYS = 365
MAX_STEPS = 30
MIN_PROBABILITY, MAX_PROBABILITY = Decimal("0.8"), Decimal("0.999")
MIN_RECIPIENTS = 20  # per variant, before an automatic winner


@dataclass
class Design:
    name: str
    trigger: str
    description: str = ""
    trigger_config: dict = field(default_factory=dict)
    segment: str = ""  # a saved segment's name, or blank for everyone
    audience: dict = field(default_factory=dict)  # segment rules of the journey's own, or {} for no condition
    holdout_share: Decimal = Decimal("0.100")
    conversion_days: int = 14
    steps: list[tuple[str, dict]] = field(default_factory=list)
    auto_winner: bool = False  # with variants: choose the winner when the pooled model is sure enough
    winner_probability: Decimal = Decimal("0.950")
    winner_minimum: int = 200


def design_of(journey: Journey) -> Design:
    return Design(name=journey.name, trigger=journey.trigger, description=journey.description,
                  trigger_config=dict(journey.trigger_config or {}),
                  segment=journey.segment.name if journey.segment_id else "", audience=dict(journey.audience or {}),
                  holdout_share=journey.holdout_share, conversion_days=journey.conversion_days,
                  steps=[(step.action, dict(step.config or {})) for step in journey.steps.order_by("position")],
                  auto_winner=journey.auto_winner, winner_probability=journey.winner_probability,
                  winner_minimum=journey.winner_minimum)


def interaction_kinds() -> list[str]:
    """The kinds an interaction trigger can name: Patron's own and any the shop's data has."""
    seen = Interaction.objects.order_by().values_list("kind", flat=True).distinct()[:200]
    return list(dict.fromkeys([*KNOWN_KINDS, *sorted(seen)]))


def templates() -> list[str]:
    """Every message a send step can name: the built-in ones and those written by staff."""
    custom = MessageTemplate.objects.order_by().values_list("key", flat=True).distinct()
    return sorted(set(content.builtin_keys()) | set(custom))


def rewards() -> list[str]:
    """The rewards a coupon step can give: the gifts Patron creates when needed, and the first program's
    money-off rewards."""
    program = Program.objects.order_by("pk").first()
    found = []
    if program is not None:
        found = list(Reward.objects.filter(program=program, kind__in=[Reward.Kind.DISCOUNT_PERCENT, Reward.Kind.DISCOUNT_AMOUNT])
                     .order_by("name").values_list("name", flat=True))
    return list(dict.fromkeys([*GIFT_REWARDS, *found]))


def _rules(segment: str, audience: dict) -> dict | None:
    parts = []
    if segment:
        found = Segment.objects.filter(name=segment).first()
        if found is None:
            raise InvalidInput(f"no segment {segment!r}", field="segment")
        parts.append(found.rules)
    if audience:
        parts.append(audience)
    return {"all": parts} if parts else None


def audience_count(segment: str, audience: dict, now: dt.datetime | None = None) -> int:
    """How many customers (not erased) the journey's audience holds now: the segment's and its own rules."""
    rules = _rules(segment, audience)
    if rules is None:  # no condition: everyone who is not erased
        return Customer.objects.filter(erased_at__isnull=True).count()
    try:
        return count_rules(rules, now)
    except InvalidSegment as exc:
        raise InvalidInput(exc.message, field="audience") from None


def _check(design: Design) -> None:
    name = (design.name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("a journey needs a name of 1 to 100 characters", field="name")
    if design.trigger not in Trigger.values:
        raise InvalidInput(f"unknown trigger {design.trigger!r}; known: {', '.join(Trigger.values)}", field="trigger")
    if not isinstance(design.holdout_share, Decimal) or not Decimal(0) <= design.holdout_share <= MAX_HOLDOUT:
        raise InvalidInput(f"the held-out share must be from 0 to {MAX_HOLDOUT}, not {design.holdout_share}",
                           field="holdout_share")
    if isinstance(design.conversion_days, bool) or not isinstance(design.conversion_days, int) \
            or not 1 <= design.conversion_days <= MAX_CONVERSION_DAYS:
        raise InvalidInput(f"the conversion window must be 1 to {MAX_CONVERSION_DAYS} days", field="conversion_days")
    if not isinstance(design.winner_probability, Decimal) or not MIN_PROBABILITY <= design.winner_probability <= MAX_PROBABILITY:
        raise InvalidInput(f"the winner's probability must be from {MIN_PROBABILITY:.0%} to {MAX_PROBABILITY:.1%}",
                           field="winner_probability")
    if isinstance(design.winner_minimum, bool) or not isinstance(design.winner_minimum, int) \
            or not MIN_RECIPIENTS <= design.winner_minimum <= 1_000_000:
        raise InvalidInput(f"a winner needs at least {MIN_RECIPIENTS} recipients per variant", field="winner_minimum")
    if design.audience:
        try:
            compile_rules(design.audience)
        except InvalidSegment as exc:
            raise InvalidInput(exc.message, field="audience") from None
    if not design.steps:
        raise InvalidInput("a journey needs at least one step", field="steps")
    if len(design.steps) > MAX_STEPS:
        raise InvalidInput(f"a journey has at most {MAX_STEPS} steps", field="steps")
    for position, (action, config) in enumerate(design.steps, start=1):
        if action not in Step.Action.values:
            raise InvalidInput(f"step {position}: unknown action {action!r}", field="steps")
        if not isinstance(config, dict):
            raise InvalidInput(f"step {position}: its settings must be an object", field="steps")


def _new_key(name: str) -> str:
    base = slugify(name)[:50] or "journey"
    key, n = base, 2
    while Journey.objects.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


def _summary(design: Design) -> dict:
    """What the audit log keeps of a design: every setting, the steps as their actions and settings."""
    return {"name": design.name, "trigger": design.trigger, "trigger_config": design.trigger_config,
            "segment": design.segment, "audience": design.audience, "holdout_share": str(design.holdout_share),
            "conversion_days": design.conversion_days, "steps": [[action, config] for action, config in design.steps],
            "auto_winner": design.auto_winner, "winner_probability": str(design.winner_probability),
            "winner_minimum": design.winner_minimum}


def save(key: str | None, design: Design, *, actor=None) -> Journey:
    """Create (`key` None) or change a journey from its design, whole or not at all. A journey that is on or
    paused keeps its trigger and steps (customers are part way through them): switch it off to change those.
    The checks a run makes (a template exists, a reward is there, a wait has a length) are made here, so a
    saved journey can be switched on."""
    services.ensure_builtin()
    _check(design)
    segment = None
    if design.segment:
        segment = Segment.objects.filter(name=design.segment).first()
        if segment is None:
            raise InvalidInput(f"no segment {design.segment!r}", field="segment")
    with transaction.atomic():
        if key is None:
            journey = Journey(key=_new_key(design.name))
            before = None
        else:
            journey = services.get_journey(key)
            Journey.objects.select_for_update().filter(pk=journey.pk).first()
            journey.refresh_from_db()
            if design.name.strip() in (journey.names or {}).values():
                design.name = journey.name  # its name as shown in the marketer's language: not a rename
            if (design.description or "").strip() in (journey.descriptions or {}).values():
                design.description = journey.description  # likewise its description
            before = _summary(design_of(journey))
            if journey.enabled and (design.trigger != journey.trigger or design.trigger_config != (journey.trigger_config or {})
                                    or [list(s) for s in design.steps] != before["steps"]):
                raise InvalidInput(f"journey {journey.key} is {services.state(journey)}: switch it off to change its "
                                   "trigger or steps", field="steps")
        name = design.name.strip()
        if name != journey.name:
            journey.name, journey.names = name, {}  # renamed by the shop: its own name, in every language
        description = (design.description or "").strip()[:300]
        if description != journey.description:
            journey.description, journey.descriptions = description, {}
        journey.trigger, journey.trigger_config = design.trigger, design.trigger_config
        journey.segment, journey.audience = segment, design.audience or {}
        journey.holdout_share, journey.conversion_days = design.holdout_share, design.conversion_days
        journey.auto_winner, journey.winner_probability = design.auto_winner, design.winner_probability
        journey.winner_minimum = design.winner_minimum
        if before is not None and [list(s) for s in design.steps] != before["steps"]:
            journey.winner, journey.winner_at = None, None  # other steps: another test, nothing won yet
        journey.save()
        journey.steps.all().delete()
        Step.objects.bulk_create([Step(journey=journey, position=i, action=action, config=config)
                                  for i, (action, config) in enumerate(design.steps)])
        services.check_ready(journey)  # raises JourneyNotReady naming what is missing; nothing is saved then
        after = _summary(design)
        if before is None:
            audit.record(actor, audit.JOURNEY_CREATED, f"journey:{journey.key}", **after)
        elif after != before:
            changed = sorted(k for k in after if after[k] != before[k])
            audit.record(actor, audit.JOURNEY_CHANGED, f"journey:{journey.key}", changed=changed,
                         **{k: after[k] for k in changed})
    return journey
