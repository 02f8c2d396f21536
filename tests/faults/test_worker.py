"""The worker is the one long-running process: a journey that fails is skipped and shown as failed, one
bad row or rule never ends it, and it runs the daily work itself at the shop's hours, with --health
saying when each job last ran."""

import datetime as dt
import io
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patron.campaigns import services as journeys
from patron.campaigns.models import Journey, Step
from patron.customers.services import upsert_customer
from patron.dashboard.services import add_staff
from patron.ops import jobs
from patron.ops.models import Job
from patron.segments.models import Segment
from tests.faults.test_worker_kill import worker_env

OVERFLOW = {"field": "days_since_last_order", "op": "gt", "value": 1e308}


def overflowing_journey() -> Journey:
    """A journey on a saved segment whose rule no store can compare (saved before rules were checked)."""
    segment = Segment.objects.create(name="huge", rules={"field": "language", "op": "eq", "value": "lv"})
    Segment.objects.filter(pk=segment.pk).update(rules=OVERFLOW)
    journey = Journey.objects.create(key="huge-spenders", name="Huge spenders", trigger="schedule", segment=segment,
                                     trigger_config={"at": "2026-01-01T09:00:00+00:00"}, holdout_share=Decimal("0"))
    Step.objects.create(journey=journey, position=0, action="tag", config={"tag": "huge"})
    Journey.objects.filter(pk=journey.pk).update(enabled=True)
    return journey


@pytest.mark.django_db
def test_a_journey_that_fails_is_skipped_shown_failed_and_the_worker_goes_on():
    journeys.enable("welcome", now=timezone.now() - dt.timedelta(minutes=1))
    upsert_customer("c1")
    overflowing_journey()
    err = io.StringIO()
    call_command("worker", "--once", stdout=io.StringIO(), stderr=err)
    assert "journey huge-spenders did not run" in err.getvalue()
    failed = Journey.objects.get(key="huge-spenders")
    assert failed.last_error and failed.last_error_at
    assert Journey.objects.get(key="welcome").enrollments.count() == 1  # the others ran
    marketer = Client()
    marketer.force_login(add_staff("marketer-user", "marketer")[0])
    page = marketer.get(reverse("dashboard:journeys")).content.decode()
    assert "Huge spenders" in page and "Failed" in page and failed.last_error[:40] in page
    # Mended, the next run clears the failure.
    Segment.objects.filter(name="huge").update(rules={"field": "language", "op": "eq", "value": "lv"})
    call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    assert Journey.objects.get(key="huge-spenders").last_error == ""


@pytest.mark.django_db
def test_daily_runs_are_due_once_a_day_from_their_local_hour(settings):
    settings.PATRON_SHOP_TIMEZONE, settings.PATRON_SCORE_HOUR = "Europe/Vilnius", 3
    score = next(d for d in jobs.DAILY if d.name == "score")
    before = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)  # 02:30 on 2 June in Vilnius
    assert not jobs.daily_due(score, before)
    at = before + dt.timedelta(hours=1)  # 03:30 there
    assert jobs.daily_due(score, at)
    jobs.started("score", at)
    assert not jobs.daily_due(score, at + dt.timedelta(hours=20))  # 23:30, the same local day
    assert jobs.daily_due(score, at + dt.timedelta(days=1))


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_daily_work_itself_and_health_says_so(smtp_server):
    upsert_customer("c1", email="c1@example.com")
    env = {**worker_env(smtp_server.port), "PATRON_LOYALTY_DAILY_HOUR": "0", "PATRON_SCORE_HOUR": "0",
           "PATRON_RECONCILE_HOUR": "0"}
    health = subprocess.run([sys.executable, "-m", "patron.cli", "worker", "--health"], env=env, capture_output=True, text=True)
    assert health.returncode == 1 and "delivery       never ran" in health.stdout
    worker = subprocess.Popen([sys.executable, "-m", "patron.cli", "worker", "--interval", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Job.objects.filter(ok_at__isnull=False).count() < 8:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert sorted(Job.objects.filter(ok_at__isnull=False, failed=False).values_list("name", flat=True)) == [
        "delivery", "journeys", "loyalty daily", "reconcile", "score", "sla sweep", "store coupons", "webhooks"]
    health = subprocess.run([sys.executable, "-m", "patron.cli", "worker", "--health"], env=env, capture_output=True, text=True)
    assert health.returncode == 0, health.stdout + health.stderr
    assert [line.split()[0] for line in health.stdout.splitlines()] == ["delivery", "journeys", "sla", "webhooks", "store",
                                                                       "loyalty", "score", "reconcile"]
    assert all(" ok " in line for line in health.stdout.splitlines())
