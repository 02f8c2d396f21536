"""The snapshots' table, kept by insights until now, taken over by the dashboard (see insights 0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial"), ("insights", "0006_snapshot_to_dashboard")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="Snapshot",
                fields=[
                    ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                    ("computed_at", models.DateTimeField()),
                    ("data", models.JSONField()),
                ],
                options={"db_table": "insights_snapshot"},
            ),
        ]),
        migrations.AlterModelTable(name="snapshot", table=None),
    ]
