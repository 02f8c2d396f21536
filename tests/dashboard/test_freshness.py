"""Every page drawn from the nightly figures says how old they are; only an administrator is told the command
that refreshes them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patron.dashboard.models import Snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("age_hours, stale", [(3, False), (30, True)])
def test_the_figures_say_their_age_and_the_command_is_for_administrators(staff, age_hours, stale):
    Snapshot.objects.update_or_create(name="loyalty", defaults={"computed_at": timezone.now() - dt.timedelta(hours=age_hours),
                                                               "data": {}})
    admin = staff("admin").get(reverse("dashboard:loyalty")).content.decode()
    analyst = staff("analyst").get(reverse("dashboard:loyalty")).content.decode()
    for page in (admin, analyst):
        assert f"{age_hours % 24}\u00a0hours ago" in page  # "3 hours", "1 day, 6 hours"
        assert ("more than a day old" in page) is stale
    assert "patron score" in admin and "patron score" not in analyst
