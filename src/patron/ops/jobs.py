"""The worker's jobs: what each is, when the daily ones are due, and the record of how each last went.

A shop runs two processes, `patron serve` and `patron worker`; no cron. The worker delivers the
outbox every second, processes the shops' webhooks and writes Patron's coupons to the shops, runs the
journeys and the service desk's SLA sweep every interval, and starts the daily runs (`patron loyalty
daily`, `patron score`, and the shops' reconciliation, `patron sync --nightly`) once a day at the shop's local hours,
each in a child process so that delivery goes on while they work.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from patron.ops.models import Job

DELIVERY, JOURNEYS, SLA, WEBHOOKS, COUPONS = "delivery", "journeys", "sla sweep", "webhooks", "store coupons"


@dataclass(frozen=True)
class Daily:
    name: str
    command: tuple[str, ...]
    setting: str  # the local hour it starts at

    @property
    def hour(self) -> int:
        return getattr(settings, self.setting)


DAILY = (Daily("loyalty daily", ("loyalty", "daily"), "PATRON_LOYALTY_DAILY_HOUR"),
         Daily("score", ("score",), "PATRON_SCORE_HOUR"),
         # What a webhook missed (the store was down, Patron was down): every shop read again for what changed.
         Daily("reconcile", ("sync", "--nightly", "--json"), "PATRON_RECONCILE_HOUR"))
# How long a job may go without a good run before --health calls it overdue.
EXPECTED = {DELIVERY: dt.timedelta(minutes=5), JOURNEYS: None, SLA: None, WEBHOOKS: None, COUPONS: None}


def shop_now(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(settings.PATRON_SHOP_TIMEZONE))


def daily_due(job: Daily, now: dt.datetime | None = None) -> bool:
    """Due once a day from its hour on (a worker started later in the day catches up at once)."""
    local = shop_now(now)
    if local.hour < job.hour:
        return False
    last = Job.objects.filter(name=job.name).values_list("started_at", flat=True).first()
    return last is None or shop_now(last).date() < local.date()


def started(name: str, now: dt.datetime | None = None) -> None:
    Job.objects.update_or_create(name=name, defaults={"started_at": now or timezone.now(), "running": True})


def finished(name: str, error: str = "", now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    fields = {"finished_at": now, "running": False, "failed": bool(error), "error": error[-4000:]}
    if not error:
        fields["ok_at"] = now
    Job.objects.update_or_create(name=name, defaults=fields)


def health(now: dt.datetime | None = None) -> list[dict]:
    """Each job with its last run, whether it failed, and whether it is overdue: what `--health` prints."""
    now = now or timezone.now()
    known = {job.name: job for job in Job.objects.all()}
    out = []
    expected = {**EXPECTED, **{d.name: dt.timedelta(hours=26) for d in DAILY}}
    for name, limit in expected.items():
        job = known.get(name)
        last_ok = job.ok_at if job else None
        overdue = limit is not None and (last_ok is None or now - last_ok > limit)
        out.append({"job": name, "started_at": job.started_at if job else None,
                    "finished_at": job.finished_at if job else None, "ok_at": last_ok,
                    "running": bool(job and job.running), "failed": bool(job and job.failed),
                    "error": job.error if job else "", "overdue": overdue})
    return out
