"""API keys are memoised per process (patron.core.memo): on PostgreSQL a write to them notifies every process."""

from django.db import migrations

from patron.core.memo import notify_on_write


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("core", "0002_memo_notices")]

    operations = [notify_on_write("api.ApiKey")]
