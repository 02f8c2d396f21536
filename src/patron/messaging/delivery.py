"""The outbox worker: claim what is due, apply consent, the frequency cap and quiet hours, deliver.

Delivery is at-least-once. A message is claimed (status `sending`, with a lease) in one short
transaction and marked `sent` in its own commit right after the server accepted it, so a worker
killed at any moment leaves at most the one message it was sending to go out again, and it goes
with the same Message-ID. Claims are serialised, which makes the frequency cap exact.
"""

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patron.core import sql
from patron.culture import calendars
from patron.messaging import clicks, content, render, suppressions
from patron.messaging.channels import BOUNCE_REASON, Bounced, Mail, Permanent, Temporary, send_sms, send_webhook
from patron.messaging.models import ChannelKind, Message, Purpose

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 6
CLAIM_LOCK = 726001  # the advisory lock that serialises claims on PostgreSQL
S = Message.Status
# Asked of each batch before it goes: each hold returns (the ids to hold a little, {id: reason never to send
# them}). The shop connections register one: a message whose coupon code the store does not know yet waits.
HOLDS: list = []
HOLD_WAIT = dt.timedelta(minutes=1)
SENT_SQL = (f"UPDATE {Message._meta.db_table} SET status = %s, sent_at = %s, attempts = %s, reason = '', language = %s, "
            "subject = %s, lease_until = NULL WHERE id = %s")


@dataclass
class Delivered:
    sent: int = 0
    suppressed: int = 0
    deferred: int = 0  # quiet hours: waiting, not dropped
    retried: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Delivered") -> None:
        for name in ("sent", "suppressed", "deferred", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def quiet_hours() -> tuple[int, int] | None:
    spec = (settings.PATRON_QUIET_HOURS or "").strip()
    if not spec:
        return None
    start, _, end = spec.partition("-")
    return int(start) % 24, int(end) % 24


def quiet_until(local: dt.datetime, hours: tuple[int, int] | None) -> dt.datetime | None:
    """The end of the quiet hours `local` falls in (aware, same zone), or None outside them."""
    if hours is None:
        return None
    start, end = hours
    h = local.hour
    inside = (start <= h or h < end) if start > end else (start <= h < end)
    if not inside:
        return None
    day = local.date() if h < end else local.date() + dt.timedelta(days=1)
    return _local_hour(day, end, local.tzinfo)


def _local_hour(day: dt.date, hour: int, zone) -> dt.datetime:
    """`hour`:00 on `day` in `zone`; where that wall-clock hour does not exist (a DST jump), just after it."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.timezone.utc).astimezone(zone)


def holiday_until(local: dt.datetime, country: str, hours: tuple[int, int] | None) -> dt.datetime | None:
    """When `local` falls on a public holiday of the customer's country: the morning of the next working
    day (when the quiet hours end, else 08:00), in the same zone; None on other days."""
    day = local.date()
    if not calendars.day_off(country, day):
        return None
    while calendars.day_off(country, day):
        day += dt.timedelta(days=1)
    return _local_hour(day, hours[1] if hours else 8, local.tzinfo)


def release_dead_claims() -> int:
    """Messages claimed by a worker of this host that no longer runs go back to the queue."""
    host = socket.gethostname()
    released = 0
    for owner in Message.objects.filter(status=S.SENDING, claimed_by__startswith=f"{host}:").values_list(
            "claimed_by", flat=True).distinct():
        pid = int(owner.rpartition(":")[2])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            released += Message.objects.filter(status=S.SENDING, claimed_by=owner).update(
                status=S.QUEUED, claimed_by="", lease_until=None)
        except PermissionError:
            pass  # alive, under another user
    return released


def release_own_claims() -> int:
    """This process's claims go back to the queue: it lost the store while sending them, so it cannot
    know which were marked. The one it was sending may go again, with the same Message-ID."""
    return Message.objects.filter(status=S.SENDING, claimed_by=worker_name()).update(
        status=S.QUEUED, claimed_by="", lease_until=None)


def claim(now: dt.datetime, batch: int = 200) -> tuple[list[Message], Delivered]:
    """Take up to `batch` due messages; suppress or defer those that must not go now. Returns the ones to send."""
    outcome = Delivered()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK])
        # Leases that ran out (a worker on another machine died): due again, same message, same Message-ID.
        Message.objects.filter(status=S.SENDING, lease_until__lt=now).update(status=S.QUEUED, due_at=now, claimed_by="")
        due = list(Message.objects.filter(status=S.QUEUED, due_at__lte=now).select_related("customer")
                   .order_by("due_at", "id")[:batch])
        if not due:
            return [], outcome
        window_start = now - dt.timedelta(days=settings.PATRON_FREQUENCY_CAP_DAYS)
        marketing_customers = {m.customer_id for m in due if m.purpose == Purpose.MARKETING}
        recent = _recent_marketing(marketing_customers, window_start)
        hours = quiet_hours()
        send, suppress, defer = [], {}, {}
        held, refused = set(), suppressions.blocked(due)  # a bounced or complaining address: never again
        for hold in HOLDS:
            wait, never = hold(due)
            held |= wait
            refused |= never
        for message in due:
            customer = message.customer
            reason = _suppression(message, customer) or refused.get(message.pk)
            if reason is None and message.pk in held:
                defer[message.pk] = now + HOLD_WAIT
                continue
            if reason is None and message.purpose == Purpose.MARKETING:
                local = now.astimezone(render.customer_zone(customer))
                wake = quiet_until(local, hours)
                if wake is None and settings.PATRON_HOLIDAY_PAUSE and not content.made_for_holidays(message.template):
                    wake = holiday_until(local, customer.country, hours)
                if wake is not None:
                    defer[message.pk] = wake.astimezone(dt.timezone.utc)
                    continue
                if recent.get(customer.pk, 0) >= settings.PATRON_FREQUENCY_CAP:
                    reason = "frequency_cap"
                else:
                    recent[customer.pk] = recent.get(customer.pk, 0) + 1
            if reason:
                suppress.setdefault(reason, []).append(message.pk)
            else:
                send.append(message)
        for reason, ids in suppress.items():
            Message.objects.filter(pk__in=ids).update(status=S.SUPPRESSED, reason=reason, claimed_at=now)
            outcome.suppressed += len(ids)
            outcome.reasons[reason] = outcome.reasons.get(reason, 0) + len(ids)
        for pk, wake in defer.items():
            Message.objects.filter(pk=pk).update(due_at=wake)
        outcome.deferred = len(defer)
        Message.objects.filter(pk__in=[m.pk for m in send]).update(
            status=S.SENDING, claimed_at=now, lease_until=now + LEASE, claimed_by=worker_name())
    return send, outcome


def _suppression(message: Message, customer) -> str | None:
    if customer.is_erased:
        return "erased"
    if message.channel == ChannelKind.EMAIL and not customer.email:
        return "no_address"
    if message.channel == ChannelKind.SMS and not customer.phone:
        return "no_address"
    if message.purpose == Purpose.MARKETING and message.channel in (ChannelKind.EMAIL, ChannelKind.SMS):
        if customer.consent_for(message.channel) is not True:
            return "no_consent"
    return None


def _recent_marketing(customer_ids: set[int], since: dt.datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    ids = sorted(customer_ids)
    for i in range(0, len(ids), 500):
        rows = (Message.objects.filter(customer_id__in=ids[i:i + 500], purpose=Purpose.MARKETING,
                                       status__in=[S.SENT, S.SENDING], claimed_at__gte=since)
                .values_list("customer_id", flat=True))
        for customer_id in rows:
            counts[customer_id] = counts.get(customer_id, 0) + 1
    return counts


@contextlib.contextmanager
def without_fsync():
    """A transaction for a delivery status, whose commit does not wait for the disk: a status lost in a
    crash only means a resend with the same Message-ID. `SET LOCAL` keeps that to this transaction, so
    what the same connection writes afterwards (journeys, the ledger) stays durable. Inside a caller's
    transaction it changes nothing: that transaction's other writes must stay durable."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def send_claimed(messages: list[Message], mail: Mail) -> Delivered:
    outcome = Delivered()
    edits = _edits({m.template for m in messages})
    for message in messages:
        try:
            rendered = render.render(message, message.customer, edits)
            if rendered is None:
                raise Permanent(f"no text for template {message.template!r}")
            rendered, links = clicks.track(message, rendered)  # the shop links through /r/, to count the clicks
            if links and links != message.links:
                Message.objects.filter(pk=message.pk).update(links=links)
            if message.channel == ChannelKind.EMAIL:
                mail.send(message, message.customer, rendered)
            elif message.channel == ChannelKind.SMS:
                send_sms(message, message.customer, rendered)
            else:
                send_webhook(message, message.customer, rendered)
        except Permanent as exc:
            if isinstance(exc, Bounced):
                suppressions.suppress(message.channel, suppressions.address_of(message.customer, message.channel),
                                      "bounce", detail=str(exc).removeprefix(f"{BOUNCE_REASON}: "), message=message)
            Message.objects.filter(pk=message.pk).update(status=S.FAILED, reason=str(exc)[:300], attempts=message.attempts + 1)
            outcome.failed += 1
            continue
        except Temporary as exc:
            attempts = message.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                Message.objects.filter(pk=message.pk).update(status=S.FAILED, reason=str(exc)[:300], attempts=attempts)
                outcome.failed += 1
            else:
                backoff = dt.timedelta(minutes=min(60, 2 ** (attempts - 1)))
                Message.objects.filter(pk=message.pk).update(status=S.QUEUED, reason=str(exc)[:300], attempts=attempts,
                                                             due_at=timezone.now() + backoff, lease_until=None)
                outcome.retried += 1
            continue
        # Its own commit, at once: the window in which a kill causes a resend is this one statement.
        # One plain statement (the ORM's update costs more than the database does here).
        with without_fsync(), connection.cursor() as cursor:
            cursor.execute(SENT_SQL, [S.SENT, sql.timestamp(timezone.now()),
                                      message.attempts + 1, rendered.language, rendered.subject[:200], message.pk])
        outcome.sent += 1
    return outcome


def _edits(keys: set[str]) -> dict:
    from patron.messaging.content import Text
    from patron.messaging.models import MessageTemplate

    return {(t.key, t.language): Text(t.key, t.language, t.subject, t.text, t.sms, t.preheader)
            for t in MessageTemplate.objects.filter(key__in=keys)}


def deliver_due(now: dt.datetime | None = None, batch: int = 200, limit: int | None = None) -> Delivered:
    """Deliver everything due at `now` (or `limit` messages), batch by batch."""
    total = Delivered()
    release_dead_claims()
    mail = Mail()
    try:
        while limit is None or total.sent + total.failed + total.suppressed < limit:
            messages, outcome = claim(now or timezone.now(), batch)
            total.add(outcome)
            if not messages and not (outcome.suppressed or outcome.deferred):
                break
            total.add(send_claimed(messages, mail))
    finally:
        mail.close()
    return total


def deliver_now(message: Message) -> Delivered:
    """Send one transactional message at once (a sign-in link: someone is waiting for it). It is claimed
    like any other, so a worker never sends it too; if the server is down it stays queued for the worker."""
    now = timezone.now()
    outcome = Delivered()
    message = Message.objects.select_related("customer").get(pk=message.pk)
    reason = _suppression(message, message.customer)
    if reason:
        if Message.objects.filter(pk=message.pk, status=S.QUEUED).update(status=S.SUPPRESSED, reason=reason, claimed_at=now):
            outcome.suppressed, outcome.reasons[reason] = 1, 1
        return outcome
    if not Message.objects.filter(pk=message.pk, status=S.QUEUED).update(
            status=S.SENDING, claimed_at=now, lease_until=now + LEASE, claimed_by=worker_name()):
        return outcome  # a worker took it first
    mail = Mail()
    try:
        return send_claimed([message], mail)
    finally:
        mail.close()


# Sending in the background of a web process: the request that asked answers at once, whatever the
# mail server does. Two threads, and at most SOON_WAITING messages waiting for them; beyond that (a
# server that hangs, a burst) the message stays queued and the worker sends it within a second.
SOON_THREADS, SOON_WAITING = 2, 50
_soon_lock = threading.Lock()
_soon: dict = {"pool": None, "pid": None, "slots": None}
_running: set = set()


def deliver_soon(message: Message) -> None:
    """Send one transactional message from a background thread once the caller's transaction commits
    (a sign-in link: someone is waiting, but the page must not wait on the mail server)."""
    transaction.on_commit(lambda: _start(message.pk))


def _start(message_id: int) -> None:
    with _soon_lock:
        if _soon["pid"] != os.getpid():  # a fresh pool in each server process
            _soon.update(pool=ThreadPoolExecutor(SOON_THREADS, thread_name_prefix="patron-send"), pid=os.getpid(),
                         slots=threading.BoundedSemaphore(SOON_WAITING))
        pool, slots = _soon["pool"], _soon["slots"]
    if not slots.acquire(blocking=False):
        return  # full: the worker sends it
    future = pool.submit(_send_soon, message_id, slots)
    _running.add(future)
    future.add_done_callback(_running.discard)


def _send_soon(message_id: int, slots) -> None:
    try:
        deliver_now(Message(pk=message_id))
    except Exception:  # noqa: BLE001 - the message stays queued for the worker; the thread must live on
        log.exception("sending message %s in the background failed; the worker will send it", message_id)
    finally:
        slots.release()
        connection.close()


def wait_for_background_sends(timeout: float = 30.0) -> None:
    """Block until the background sends started so far are done (tests, and a clean shutdown)."""
    futures.wait(list(_running), timeout=timeout)
