"""The gift rewards the built-in journeys created before they were named in other languages get their names."""

from django.db import migrations

from patron.campaigns.names import GIFT_NAMES


def name_gifts(apps, schema_editor):
    reward = apps.get_model("loyalty", "Reward")
    for name, names in GIFT_NAMES.items():
        reward.objects.filter(name=name, names={}).update(names=names)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_journey_names"), ("loyalty", "0009_names")]

    operations = [migrations.RunPython(name_gifts, migrations.RunPython.noop)]
