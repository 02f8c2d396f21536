"""The dashboard's snapshots belong to the dashboard: the model leaves insights' state here, and
dashboard 0002 takes the table over (renaming it), so no stored snapshot is lost."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0005_snapshot_customerscore_score_clv")]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Snapshot")])]
