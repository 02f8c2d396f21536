"""Programs, earning rules, tiers and paid plans are memoised per process (patron.core.memo): on
PostgreSQL a write to them notifies every process."""

from django.db import migrations

from patron.core.memo import notify_on_write


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0006_system_balances_from_entries"), ("core", "0002_memo_notices")]

    operations = [notify_on_write("loyalty.Program", "loyalty.EarningRule", "loyalty.Tier", "loyalty.PaidPlan")]
