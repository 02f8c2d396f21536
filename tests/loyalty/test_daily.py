import datetime as dt
import io
import json

from django.core.management import call_command
from django.utils import timezone

from patron.customers.services import upsert_customer
from patron.loyalty import services
from patron.loyalty.models import Program, Tier


def test_the_daily_run_expires_lots_and_evaluates_tiers(db):
    program = Program.objects.create(name="Club", currency="EUR", expiry_days=30)
    Tier.objects.create(program=program, name="Silver", rank=1, threshold=100)
    ona, jonas = upsert_customer("c1")[0], upsert_customer("c2")[0]
    services.earn(program, ona, 50, at=timezone.now() - dt.timedelta(days=40))
    services.earn(program, jonas, 150, at=timezone.now() - dt.timedelta(days=1))
    out = io.StringIO()
    call_command("loyalty", "daily", "--json", stdout=out)
    report = json.loads(out.getvalue())
    club = report["programs"]["Club"]
    assert report["expired_lots"] == 1 and (club["upgrades"], club["downgrades"], club["warnings"]) == (1, 0, 0)
    assert club["outstanding_points"] == 150 and club["expiry_notices"] == 1  # jonas's lot expires within the 30 days
    assert services.balance(program, ona) == 0 and services.verify() == []
