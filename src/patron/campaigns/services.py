"""Journeys run set-wise: enter everyone the trigger selects, then move each step's due entrants on.

Every run is idempotent: entry is unique per (journey, customer, trigger key), and a step's action
and the move to the next step happen in one transaction, under the journey's lock, for exactly
the rows that were due. A customer never passes the same step twice for the same occasion.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from patron.campaigns import steps as step_actions
from patron.campaigns import reports, triggers, variants
from patron.campaigns.builtin import BUILTIN
from patron.campaigns.names import DESCRIPTIONS, NAMES
from patron.campaigns.models import Enrollment, Journey, Skipped, Step, Trigger
from patron.commerce.models import Order
from patron.core import audit, sql
from patron.core.errors import InvalidInput, JourneyNotFound, JourneyNotReady, PatronError
from patron.customers.models import Customer, Interaction
from patron.messaging import content
from patron.messaging import services as messaging
from patron.messaging.channels import BOUNCE_REASON
from patron.messaging.models import Message, MessageTemplate
from patron.segments.services import get_segment, member_sql, refresh

# Tables read or written by the SQL below, by their models.
CUSTOMERS = Customer._meta.db_table
ENROLLMENTS = Enrollment._meta.db_table
INTERACTIONS = Interaction._meta.db_table
ORDERS = Order._meta.db_table
SKIPPED = Skipped._meta.db_table

logger = logging.getLogger(__name__)
HASH_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: spreads consecutive ids over the buckets
HASH_MODULUS = variants.HASH_MODULUS  # a prime: the holdout and the variants take the customer's id modulo it
ARMS = Enrollment.Arm


@dataclass
class RunResult:
    entered: dict[str, int] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # "journey #position action": rows moved on
    errors: dict[str, str] = field(default_factory=dict)  # journeys that could not run, and why

    def as_dict(self) -> dict:
        return {"entered": self.entered, "steps": self.steps, "errors": self.errors}


def ensure_builtin() -> None:
    """Create the built-in journeys (disabled) that are not there yet; never touches an existing one."""
    existing = set(Journey.objects.values_list("key", flat=True))
    for spec in BUILTIN:
        if spec["key"] in existing:
            continue
        with transaction.atomic():
            journey = Journey.objects.create(
                key=spec["key"], name=spec["name"], names=NAMES.get(spec["key"], {}), description=spec.get("description", ""),
                descriptions=DESCRIPTIONS.get(spec["key"], {}),
                trigger=spec["trigger"],
                trigger_config=spec.get("trigger_config", {}), builtin=True,
                **({"holdout_share": spec["holdout_share"]} if "holdout_share" in spec else {}))
            Step.objects.bulk_create([Step(journey=journey, position=i, action=action, config=config)
                                      for i, (action, config) in enumerate(spec["steps"])])


def get_journey(key: str) -> Journey:
    try:
        return Journey.objects.get(key=key)
    except Journey.DoesNotExist:
        known = ", ".join(Journey.objects.order_by("key").values_list("key", flat=True))
        raise JourneyNotFound(f"no journey {key!r}; known: {known}") from None


def check_ready(journey: Journey) -> None:
    """Raise JourneyNotReady naming what is missing for the journey to run."""
    steps = list(journey.steps.all())
    if not steps:
        raise JourneyNotReady(f"journey {journey.key} has no steps")
    variants.check(journey, steps)
    written = set(MessageTemplate.objects.filter(key__in=[key for step in steps if step.action == Step.Action.SEND
                                                          for key in variants.versions(step)]).values_list("key", flat=True))
    for step in steps:
        config = step.config or {}
        if step.action == Step.Action.SEND:
            for key in variants.versions(step):
                if not content.builtin(key) and key not in written:
                    raise JourneyNotReady(f"journey {journey.key}: write the message {key!r} first (dashboard: Messages)")
                if config.get("channel") == "sms" and not content.has_sms(key):
                    raise JourneyNotReady(f"journey {journey.key}: the message {key!r} has no SMS text in any language "
                                          "(dashboard: Messages)")
        elif step.action == Step.Action.COUPON:
            for name in variants.versions(step):
                step_actions.reward_of(config, journey, name)
        elif step.action == Step.Action.GRANT_POINTS:
            step_actions.program_of(config, journey)
            if not isinstance(config.get("points"), int) or config["points"] <= 0:
                raise JourneyNotReady(f"journey {journey.key}: step {step.position} needs a whole number of points above zero")
        elif step.action == Step.Action.WAIT:
            given = [config[unit] for unit in ("days", "hours") if unit in config]
            if not given or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in given):
                raise JourneyNotReady(f"journey {journey.key}: step {step.position} needs days or hours to wait")
    stop_on = (journey.trigger_config or {}).get("stop_on", [])
    if not isinstance(stop_on, list) or any(not isinstance(v, str) or not v for v in stop_on):
        raise JourneyNotReady(f"journey {journey.key}: trigger_config.stop_on lists what ends it early "
                              "(\"order\", or an interaction kind such as \"checkout_started\")")
    reentry = (journey.trigger_config or {}).get("reentry_days")
    if reentry is not None and (isinstance(reentry, bool) or not isinstance(reentry, int) or reentry < 1):
        raise JourneyNotReady(f"journey {journey.key}: trigger_config.reentry_days must be a whole number of days, at least 1")
    triggers.entrants(journey, timezone.now())  # raises on a bad trigger configuration


def _backlog_view(journey: Journey, now: dt.datetime) -> Journey:
    """The journey as if it had been on for the whole look-back: what an event trigger would take in now."""
    view = Journey(**{f.attname: getattr(journey, f.attname) for f in Journey._meta.concrete_fields})
    if journey.trigger not in triggers.DATED:
        view.enabled_at = now - triggers.LOOKBACK
    return view


def _candidates(journey: Journey, now: dt.datetime, *, skipped: bool = True) -> tuple[str, list]:
    """SQL for (customer_id, trigger_key, context) of everyone who enters now: the trigger's rows, of customers
    not erased, in the journey's segment, not back too soon, and (`skipped`) not an occasion that was there
    when the journey was switched on from now on."""
    source, params = triggers.entrants(journey, now)
    condition = ""
    if journey.segment_id:
        members, member_params = member_sql(journey.segment.rules, now)
        condition = f" AND t.customer_id IN ({members})"
        params = params + member_params
    if journey.audience:
        members, member_params = member_sql(journey.audience, now)
        condition += f" AND t.customer_id IN ({members})"
        params = params + member_params
    reentry = (journey.trigger_config or {}).get("reentry_days")
    if reentry:
        # Not again within reentry_days of the last entry (a survey after every order would be too many).
        condition += (f" AND NOT EXISTS (SELECT 1 FROM {ENROLLMENTS} p WHERE p.journey_id = %s "
                      "AND p.customer_id = t.customer_id AND p.entered_at > %s)")
        params = params + [journey.pk, sql.timestamp(now - dt.timedelta(days=reentry))]
    if skipped:
        condition += (f" AND NOT EXISTS (SELECT 1 FROM {SKIPPED} k WHERE k.journey_id = %s "
                      "AND k.customer_id = t.customer_id AND k.trigger_key = t.trigger_key)")
        params = params + [journey.pk]
    return (f"SELECT t.customer_id, t.trigger_key, t.context FROM ({source}) t JOIN {CUSTOMERS} c ON c.id = t.customer_id "
            f"WHERE c.erased_at IS NULL{condition}"), params


def qualifying(key: str, *, now: dt.datetime | None = None) -> int:
    """How many customers qualify for the journey today: those it would take in at once if switched on with its
    backlog (an event trigger's last LOOKBACK days, a state trigger's everyone in that state now)."""
    ensure_builtin()
    journey = get_journey(key)
    now = now or timezone.now()
    if journey.trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT):
        refresh(get_segment(journey.trigger_config.get("segment", "")), now)
    candidates, params = _candidates(_backlog_view(journey, now), now, skipped=False)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({candidates}) n WHERE NOT EXISTS (SELECT 1 FROM {ENROLLMENTS} e "
                       "WHERE e.journey_id = %s AND e.customer_id = n.customer_id AND e.trigger_key = n.trigger_key)",
                       params + [journey.pk])
        return cursor.fetchone()[0]


def enable(key: str, *, backlog: bool = False, now: dt.datetime | None = None, actor=None) -> Journey:
    """Switch a journey on. By default only customers who qualify from now on enter: the occasions there
    already (a customer lapsed already, today's birthdays) are set aside, and an event trigger looks back
    no further than now. `backlog` also takes in those who qualify today (`qualifying`), which a person
    chooses with that number in front of them. The switch is written to the audit log with who made it
    (`actor`: a staff user, or a name; the command line's login when none) and the backlog it took."""
    ensure_builtin()
    journey = get_journey(key)
    check_ready(journey)
    now = now or timezone.now()
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=journey.pk).first()
        journey.refresh_from_db()
        if journey.enabled:
            return journey  # on already: switching on again changes nothing, and sets nobody aside
        taken = "none"
        if backlog:
            Skipped.objects.filter(journey=journey).delete()
            taken = qualifying(key, now=now)
            journey.enabled_at = _backlog_view(journey, now).enabled_at
        else:
            journey.enabled_at = now
            if journey.trigger in triggers.STANDING:
                source, params = triggers.entrants(journey, now)
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {SKIPPED} (journey_id, customer_id, trigger_key) "
                                   f"SELECT DISTINCT %s, t.customer_id, t.trigger_key FROM ({source}) t WHERE 1 = 1 "
                                   "ON CONFLICT (journey_id, customer_id, trigger_key) DO NOTHING", [journey.pk] + params)
        journey.enabled, journey.paused_at = True, None
        journey.save(update_fields=["enabled", "enabled_at", "paused_at"])
        audit.record(actor, audit.JOURNEY_ON, f"journey:{journey.key}", holdout_share=str(journey.holdout_share),
                     backlog=taken)
    return journey


def messages_of(journey: Journey) -> list[tuple[int, int, str]]:
    """(position, variant, template) of each message the journey's send steps can send: variant 0 is the step's own
    message, 1 and 2 its variants B and C."""
    return [(step.position, variant, template)
            for step in journey.steps.filter(action=Step.Action.SEND).order_by("position")
            for variant, template in enumerate(variants.versions(step))]


def send_test(key: str, position: int, customer: Customer, to: str, variant: int = 0):
    """The message of the journey's send step at `position` (or its `variant`), as `customer` would get it, to a
    staff address `to` (messaging.services.send_test)."""
    journey = get_journey(key)
    templates = {(p, v): template for p, v, template in messages_of(journey)}
    if (position, variant) not in templates:
        raise InvalidInput(f"journey {key} sends no message at step {position}"
                           + (f" in variant {variants.letter(variant)}" if variant else ""), field="step")
    config = journey.steps.get(position=position).config or {}
    return messaging.send_test(templates[position, variant], customer, to, products=bool(config.get("products")))


def state(journey: Journey) -> str:
    """on, paused or off."""
    return "off" if not journey.enabled else "paused" if journey.paused_at else "on"


def pause(key: str, *, actor=None, now: dt.datetime | None = None) -> Journey:
    """Nobody enters and no step moves until it resumes; its queued messages are held, not sent."""
    journey = get_journey(key)
    if not journey.enabled:
        raise JourneyNotReady(f"journey {journey.key} is off: there is nothing to pause")
    with transaction.atomic():
        Journey.objects.filter(pk=journey.pk, paused_at__isnull=True).update(paused_at=now or timezone.now())
        held = Message.objects.filter(journey=journey, status=Message.Status.QUEUED).update(status=Message.Status.HELD)
        audit.record(actor, audit.JOURNEY_PAUSED, f"journey:{journey.key}", messages_held=held)
    journey.refresh_from_db()
    return journey


def resume(key: str, *, actor=None, now: dt.datetime | None = None) -> Journey:
    """Go on where it stopped: held messages are due again, and steps that fell due meanwhile run."""
    journey = get_journey(key)
    if not journey.enabled:
        raise JourneyNotReady(f"journey {journey.key} is off: switch it on rather than resume it")
    with transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(paused_at=None)
        released = (Message.objects.filter(journey=journey, status=Message.Status.HELD)
                    .update(status=Message.Status.QUEUED, due_at=now or timezone.now()))
        audit.record(actor, audit.JOURNEY_RESUMED, f"journey:{journey.key}", messages_released=released)
    journey.refresh_from_db()
    return journey


def disable(key: str, *, actor=None, now: dt.datetime | None = None) -> Journey:
    """Switch a journey off, at once: nobody enters, the customers in it leave it where they are, and its
    messages not yet sent are not sent (suppressed, "journey_off"). What it measured stays."""
    journey = get_journey(key)
    now = now or timezone.now()
    with transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(enabled=False, paused_at=None)
        left = Enrollment.objects.filter(journey=journey, finished_at__isnull=True).update(finished_at=now)
        stopped = (Message.objects.filter(journey=journey, status__in=[Message.Status.QUEUED, Message.Status.HELD])
                   .update(status=Message.Status.SUPPRESSED, reason="journey_off", claimed_at=now))
        audit.record(actor, audit.JOURNEY_OFF, f"journey:{journey.key}", left=left, messages_stopped=stopped)
    journey.refresh_from_db()
    return journey


def run(now: dt.datetime | None = None, keys: list[str] | None = None) -> RunResult:
    """One pass of every enabled journey (or those named): enter, then advance every due step."""
    now = now or timezone.now()
    result = RunResult()
    journeys = Journey.objects.filter(enabled=True, paused_at__isnull=True).order_by("pk")
    if keys:
        journeys = journeys.filter(key__in=keys)
    for journey in journeys:
        try:
            # Once a day (the first run of the day): fewer looks make fewer false winners, and the windows close by days.
            new_day = journey.last_run_at is None or journey.last_run_at.date() != now.date()
            if new_day and journey.auto_winner and journey.winner is None and decide(journey, now):
                journey.refresh_from_db()
            result.entered[journey.key], moved = enroll(journey, now)
            for position, n in advance(journey, now).items():
                moved[position] = moved.get(position, 0) + n
            for position, n in sorted(moved.items()):
                result.steps[f"{journey.key} #{position}"] = n
        except (OperationalError, InterfaceError):
            raise  # the store went away: the worker reconnects, nothing here is the journey's fault
        except Exception as exc:  # noqa: BLE001 - one journey that cannot run (a bad rule, a bad row) must not stop the others
            why = exc.message if isinstance(exc, PatronError) else f"{type(exc).__name__}: {exc}"
            result.errors[journey.key] = why
            logger.error("journey %s did not run: %s", journey.key, why, exc_info=not isinstance(exc, PatronError))
            Journey.objects.filter(pk=journey.pk).update(last_error=why[:300], last_error_at=now)
        else:
            if journey.last_error:
                Journey.objects.filter(pk=journey.pk).update(last_error="", last_error_at=None)
    return result


def decide(journey: Journey, now: dt.datetime) -> str | None:
    """When the journey chooses its winning variant automatically and none is chosen yet: choose the one the pooled
    model says is the best with the journey's probability, every variant having its minimum of recipients. Returns
    the letter chosen, or None. Counted in the store first, so a journey short of its minimum costs one query a run."""
    if not journey.auto_winner or journey.winner is not None:
        return None
    n = variants.count(list(journey.steps.all()))
    closed = now - dt.timedelta(days=journey.conversion_days)
    sizes = (Enrollment.objects.filter(journey=journey, arm=ARMS.TREATED, variant__isnull=False, entered_at__lte=closed)
             .order_by().values("variant").annotate(n=Count("id")))
    if n == 1 or len(sizes) < n or min(row["n"] for row in sizes) < journey.winner_minimum:
        return None
    found = variants.report(journey, reports.outcomes([journey], now), now)
    if not found or not found.get("ready"):
        return None
    variants.choose(journey, found["ready"], actor="patron:auto-winner", now=now, evidence=found)
    return found["ready"]


def enroll(journey: Journey, now: dt.datetime) -> tuple[int, dict[int, int]]:
    """Enter everyone the trigger selects; returns how many entered and {position: rows moved on} of a first
    step taken on entry."""
    if journey.trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT):
        refresh(get_segment(journey.trigger_config.get("segment", "")), now)
    source, params = _candidates(journey, now)
    share = int(journey.holdout_share * 10000)
    bucket = sql.modulo(f"t.customer_id * {HASH_MULTIPLIER} + %s", str(HASH_MODULUS))
    holdout = f"{sql.modulo(bucket, '10000')} < %s"
    stamp = sql.timestamp(now)
    steps = list(journey.steps.order_by("position"))
    variant, variant_params = variants.assignment(journey, steps)
    # A first step that sends is taken on entry, in the same transaction: the treated enter already past it
    # (finished if it is the only step), which spares updating every new row a second time.
    first = steps[0] if steps and steps[0].action == Step.Action.SEND else None
    position, finished = "0", "NULL"
    if first:
        position = str(_next_position(steps, 0))
        finished = "NULL" if len(steps) > 1 else "%s"
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=journey.pk).first()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {ENROLLMENTS}")
            before = cursor.fetchone()[0] or 0
            cursor.execute(
                f"INSERT INTO {ENROLLMENTS} (journey_id, customer_id, trigger_key, arm, variant, entered_at, position, due_at, "
                "finished_at, context) "
                f"SELECT %s, t.customer_id, t.trigger_key, CASE WHEN {holdout} THEN %s ELSE %s END, "
                f"CASE WHEN {holdout} THEN NULL ELSE {variant} END, %s, "
                f"CASE WHEN {holdout} THEN 0 ELSE {position} END, %s, CASE WHEN {holdout} THEN %s ELSE {finished} END, t.context "
                f"FROM ({source}) t WHERE 1 = 1 "  # SQLite reads ON CONFLICT right after FROM as a join's ON
                "ON CONFLICT (journey_id, customer_id, trigger_key) DO NOTHING",
                [journey.pk, journey.salt, share, ARMS.HOLDOUT, ARMS.TREATED, journey.salt, share, *variant_params, stamp,
                 journey.salt, share, stamp, journey.salt, share, stamp] + ([stamp] if finished != "NULL" else []) + params)
            entered = cursor.rowcount
        taken = {}
        if first and entered:
            # Under the journey's lock nothing else enters it, so the new rows are those above the last id seen.
            taken[first.position] = step_actions.queue(
                journey, first, f"e.id > %s AND e.journey_id = %s AND e.arm = '{ARMS.TREATED}'", [before, journey.pk], now)
        Journey.objects.filter(pk=journey.pk).update(last_run_at=now)
    return entered, taken


def _next_position(steps: list[Step], index: int) -> int:
    """Where an enrollment goes after steps[index]: the next step, or past the last one."""
    return steps[index + 1].position if index + 1 < len(steps) else steps[index].position + 1


def stop_early(journey: Journey, now: dt.datetime) -> int:
    """Finish the enrollments that what the journey's trigger_config.stop_on names has ended since they entered:
    "order" (a completed order: the abandoned cart was bought) or an interaction kind (a checkout begun after
    browsing). Returns how many were finished."""
    stop_on = (journey.trigger_config or {}).get("stop_on") or []
    if not stop_on:
        return 0
    reasons, params = [], []
    if "order" in stop_on:
        reasons.append(f"EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.customer_id = e.customer_id AND o.status = 'completed' "
                       "AND o.placed_at > e.entered_at)")
    kinds = [kind for kind in stop_on if kind != "order"]
    if kinds:
        reasons.append(f"EXISTS (SELECT 1 FROM {INTERACTIONS} i WHERE i.customer_id = e.customer_id "
                       f"AND i.kind IN ({', '.join(['%s'] * len(kinds))}) AND i.occurred_at > e.entered_at)")
        params += kinds
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ENROLLMENTS} SET finished_at = %s WHERE id IN (SELECT e.id FROM {ENROLLMENTS} e "
                       f"WHERE e.journey_id = %s AND e.finished_at IS NULL AND ({' OR '.join(reasons)}))",
                       [sql.timestamp(now), journey.pk] + params)
        return cursor.rowcount


def advance(journey: Journey, now: dt.datetime) -> dict[int, int]:
    """Run each step for the treated entrants due at it; returns {position: rows moved on}."""
    stop_early(journey, now)
    steps = list(journey.steps.order_by("position"))
    moved = {}
    for index, step in enumerate(steps):
        with transaction.atomic():
            Journey.objects.select_for_update().filter(pk=journey.pk).first()
            due = Enrollment.objects.filter(journey=journey, finished_at__isnull=True, position=step.position,
                                            due_at__lte=now, arm=ARMS.TREATED)
            if not due.exists():
                continue
            due_at = now
            if step.action == Step.Action.WAIT:
                due_at = now + dt.timedelta(days=step.config.get("days", 0), hours=step.config.get("hours", 0))
            else:
                step_actions.ACTIONS[step.action](journey, step, due, now)
            last = index == len(steps) - 1
            moved[step.position] = due.update(position=_next_position(steps, index), due_at=due_at, finished_at=now if last else None)
    return moved


COUNTS = ("entered", "held_out", "converted", "sent", "queued", "suppressed", "failed", "bounced")
BOUNCED = ("bounced", "complained")  # messaging.suppressions: the address refused for good, or a spam complaint


def with_counts(journeys):
    """The journeys annotated n_<count> for each of COUNTS: what the journeys list and the admin show."""
    enrollments = Enrollment.objects.filter(journey=OuterRef("pk")).order_by()
    outbox = Message.objects.filter(journey=OuterRef("pk")).order_by()
    S = Message.Status
    return journeys.annotate(
        n_entered=_count(enrollments), n_held_out=_count(enrollments.filter(arm=ARMS.HOLDOUT)),
        n_converted=RawSQL(converted_sql(Journey._meta.db_table), [], output_field=IntegerField()),
        n_sent=_count(outbox.filter(status=S.SENT)), n_queued=_count(outbox.filter(status__in=[S.QUEUED, S.SENDING, S.HELD])),
        n_suppressed=_count(outbox.filter(status=S.SUPPRESSED)), n_failed=_count(outbox.filter(status=S.FAILED)),
        # Sends its address refused for good (a hard bounce), and those not attempted since (bounced or complained).
        n_bounced=_count(outbox.filter(Q(status=S.FAILED, reason__startswith=BOUNCE_REASON)
                                       | Q(status=S.SUPPRESSED, reason__in=BOUNCED))))


def _count(queryset) -> Subquery:
    return Subquery(queryset.values("journey").annotate(n=Count("id")).values("n"), output_field=IntegerField())


def counts(journeys=None) -> list[dict]:
    """Each journey (or those of the queryset `journeys`) with its entered, held-out, converted, sent, queued,
    suppressed, failed and bounced counts."""
    ensure_builtin()
    return [{"key": journey.key, "name": journey.name, "trigger": journey.trigger, "enabled": journey.enabled,
             "state": state(journey),
             "holdout_share": float(journey.holdout_share),
             **{name: getattr(journey, f"n_{name}") or 0 for name in COUNTS}}
            for journey in with_counts((Journey.objects if journeys is None else journeys).order_by("pk"))]


def report(key: str, now: dt.datetime | None = None) -> dict:
    """What `patron journeys report KEY` gives: the journey's measured uplift, pooled estimate, variants and clicks
    (reports.full), and what became of its messages (sent, waiting, not sent, failed, bounced)."""
    journey = get_journey(key)
    [counted] = counts(Journey.objects.filter(pk=journey.pk))
    return {**reports.full(journey, now), "delivery": {name: counted[name] for name in ("sent", "queued", "suppressed", "failed", "bounced")}}


def converted_sql(journey: str) -> str:
    """SQL counting the treated entrants of the journey row `journey` (a table alias) who ordered within its
    conversion days of entering."""
    return (f"(SELECT COUNT(*) FROM {ENROLLMENTS} e WHERE e.journey_id = {{j}}.id AND e.arm = 'treated' "
            f"AND EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.customer_id = e.customer_id AND o.status = 'completed' "
            "AND o.placed_at > e.entered_at AND {placed} - {entered} <= {j}.conversion_days * 86400))").format(
        j=journey, placed=sql.epoch("o.placed_at"), entered=sql.epoch("e.entered_at"))
