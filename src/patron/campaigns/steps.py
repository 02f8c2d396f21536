"""What a journey's steps do, set-wise, for the enrollments due at them: send (queue the message), give a
coupon or points, create a task, tag. Each runs in the caller's transaction, under the journey's lock."""

import datetime as dt

from django.db import connection

from patron.campaigns import variants
from patron.campaigns.builtin import GIFT_REWARDS
from patron.campaigns.names import GIFT_NAMES
from patron.campaigns.models import Enrollment, Journey, Step, Task
from patron.core import sql
from patron.core.errors import JourneyNotReady
from patron.customers.models import Tag
from patron.loyalty.models import Program, Reward
from patron.loyalty.services import earn, gift_coupons
from patron.messaging import content
from patron.messaging.models import Message

ENROLLMENTS, MESSAGES = Enrollment._meta.db_table, Message._meta.db_table
TAGS, TASKS = Tag._meta.db_table, Task._meta.db_table


def program_of(config: dict, journey: Journey) -> Program:
    programs = Program.objects.order_by("pk")
    if config.get("program"):
        programs = programs.filter(name=config["program"])
    program = programs.first()
    if program is None:
        raise JourneyNotReady(f"journey {journey.key} gives points or coupons: create a loyalty program first")
    return program


def reward_of(config: dict, journey: Journey, name: str | None = None) -> Reward:
    """The coupon step's reward (or `name`, one of its variants'), creating a built-in gift the first time."""
    program = program_of(config, journey)
    name = config.get("reward", "") if name is None else name
    reward = Reward.objects.filter(program=program, name=name).first()
    if reward is None and name in GIFT_REWARDS:
        kind, value = GIFT_REWARDS[name]
        # A gift, never offered for points: inactive for redemption (cost is a placeholder), issued by the journey alone.
        reward = Reward.objects.create(program=program, name=name, names=GIFT_NAMES.get(name, {}), kind=kind, value=value,
                                       cost=1, active=False)
    if reward is None:
        raise JourneyNotReady(f"journey {journey.key}: no reward {name!r} in program {program.name}")
    return reward


def _where(due) -> tuple[str, list]:
    """The WHERE of a queryset over campaigns_enrollment, to reuse inside INSERT ... SELECT."""
    query, params = due.values("id").query.sql_with_params()
    return f"e.id IN ({query})", list(params)


def _send(journey: Journey, step: Step, due, now: dt.datetime) -> None:
    queue(journey, step, *_where(due), now)


def queue(journey: Journey, step: Step, where: str, params: list, now: dt.datetime) -> int:
    """Queue the send step's message for the enrollments `e` that satisfy `where`; returns how many."""
    config = step.config or {}
    templates = variants.versions(step)  # variant A's message, then B's...
    channel = config.get("channel", "email")
    template_sql, template_params = variants.by_variant(templates)
    purpose_sql, purpose_params = variants.by_variant([config.get("purpose") or content.purpose_of(t) for t in templates])
    stamp = sql.timestamp(now)
    products = bool(config.get("products"))
    last = (Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) if products else 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MESSAGES} (customer_id, journey_id, enrollment_id, template, channel, purpose, status, reason, "
            "context, created_at, due_at, attempts, language, subject, claimed_by) "
            f"SELECT e.customer_id, e.journey_id, e.id, {template_sql}, %s, {purpose_sql}, 'queued', '', e.context, %s, %s, "
            f"0, '', '', '' FROM {ENROLLMENTS} e WHERE {where}",
            [*template_params, channel, *purpose_params, stamp, stamp] + params)
        queued = cursor.rowcount
    if products and queued:
        # The message carries a product block, recommended for its customer when it is written. Under the journey's
        # lock this journey's messages above the last id are the ones just queued.
        rows = Message.objects.filter(pk__gt=last, journey=journey, template__in=templates).values_list("pk", "context")
        Message.objects.bulk_update([Message(pk=pk, context=dict(context or {}, products=True)) for pk, context in rows],
                                    ["context"], batch_size=1000)
    return queued


def _coupon(journey: Journey, step: Step, due, now: dt.datetime) -> None:
    """Each due entrant's coupon: the step's reward, or for variant B, C... its alternative."""
    config = step.config or {}
    names = variants.versions(step)
    for index, name in enumerate(names):
        mine = due.filter(variant=index) if index else due.exclude(variant__in=range(1, len(names)))
        _coupons(journey, reward_of(config, journey, name), mine, now, config)


def _coupons(journey: Journey, reward: Reward, due, now: dt.datetime, config: dict) -> None:
    expires = now + dt.timedelta(days=config["valid_days"]) if config.get("valid_days") else None
    discount = {"kind": "percent" if reward.kind == Reward.Kind.DISCOUNT_PERCENT else "amount",
                "value": str(reward.value), "currency": reward.program.currency}
    rows = list(due.values_list("id", "customer_id", "context"))
    for start in range(0, len(rows), 5000):
        chunk = rows[start:start + 5000]
        codes = gift_coupons(reward, [customer for _, customer, _ in chunk], reason=f"journey {journey.key}", at=now,
                             expires_at=expires)
        updated = []
        for pk, customer, context in chunk:
            context = dict(context or {}, coupon=codes[customer], discount=discount)
            if expires:
                context["valid_until"] = (expires - dt.timedelta(seconds=1)).date().isoformat()
            updated.append(Enrollment(pk=pk, context=context))
        Enrollment.objects.bulk_update(updated, ["context"], batch_size=1000)


def _grant_points(journey: Journey, step: Step, due, now: dt.datetime) -> None:
    config = step.config or {}
    program = program_of(config, journey)
    points = config.get("points")
    updated = []
    for enrollment in due.select_related("customer"):
        # The reference makes the grant unique in the ledger as well.
        earn(program, enrollment.customer, points, reason=config.get("reason") or f"journey {journey.key}",
             reference=f"journey:{journey.key}:{enrollment.pk}:{step.position}", at=now)
        updated.append(Enrollment(pk=enrollment.pk, context=dict(enrollment.context or {}, points=points)))
    Enrollment.objects.bulk_update(updated, ["context"], batch_size=1000)


def _task(journey: Journey, step: Step, due, now: dt.datetime) -> None:
    where, params = _where(due)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TASKS} (customer_id, journey_id, enrollment_id, title, created_at, note) "
            f"SELECT e.customer_id, e.journey_id, e.id, %s, %s, '' FROM {ENROLLMENTS} e WHERE {where}",
            [(step.config or {}).get("title") or journey.name, sql.timestamp(now)] + params)


def _tag(journey: Journey, step: Step, due, now: dt.datetime) -> None:
    name = (step.config or {}).get("tag")
    if not name:
        raise JourneyNotReady(f"journey {journey.key}: step {step.position} needs a tag name")
    where, params = _where(due)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TAGS} (customer_id, name, tagged_at) "
            f"SELECT e.customer_id, %s, %s FROM {ENROLLMENTS} e WHERE {where} "
            "ON CONFLICT (customer_id, name) DO NOTHING",
            [name, sql.timestamp(now)] + params)


ACTIONS = {
    Step.Action.SEND: _send, Step.Action.COUPON: _coupon, Step.Action.GRANT_POINTS: _grant_points,
    Step.Action.TASK: _task, Step.Action.TAG: _tag,
}
